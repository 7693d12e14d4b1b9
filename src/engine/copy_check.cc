#include "engine/copy_check.h"

#include <cerrno>

#include <fmt/format.h>

#include "engine/verifier.h"

namespace s3m::engine {

bool IsCopyProblem(CopyVerdict verdict) {
  return verdict == CopyVerdict::kMissing || verdict == CopyVerdict::kChanged ||
         verdict == CopyVerdict::kUnreadable;
}

std::string_view CopyVerdictName(CopyVerdict verdict) {
  switch (verdict) {
    case CopyVerdict::kMatches: return "matches";
    case CopyVerdict::kMatchesSize: return "matches-size";
    case CopyVerdict::kMissing: return "missing";
    case CopyVerdict::kChanged: return "changed";
    case CopyVerdict::kUnreadable: return "unreadable";
    case CopyVerdict::kUncheckable: return "uncheckable";
  }
  return "?";
}

namespace {

CopyCheck FromOpenError(const Status& status) {
  const int err = status.context().sys_errno;
  if (err == ENOENT || err == ENOTDIR) return CopyCheck{CopyVerdict::kMissing, "no such file"};
  return CopyCheck{CopyVerdict::kUnreadable, status.ToString()};
}

}  // namespace

CopyCheck CheckCopy(FileSystem& fs, const store::FileRecord& copy) {
  // Looked at before it is opened: a symlink or a FIFO put in its place is
  // not followed or waited on.
  auto info = fs.LinkStat(copy.local_path.value_or(""));
  if (!info.ok()) return FromOpenError(info.status());
  if (info->type != FileType::kRegular) {
    return CopyCheck{CopyVerdict::kChanged, "not a regular file any more"};
  }
  const uint64_t size = static_cast<uint64_t>(copy.size);
  if (info->size != size) {
    return CopyCheck{CopyVerdict::kChanged,
                     fmt::format("the file has {} bytes, the object had {}", info->size, size)};
  }
  if (copy.verified_by == "size-only") {
    return CopyCheck{CopyVerdict::kMatchesSize,
                     "verified by size only (nothing stronger was recorded)"};
  }
  std::optional<ObjectFacts> facts = FactsFromRecord(
      copy.verified_by, copy.verified_checksum, copy.etag, size, static_cast<uint64_t>(copy.part_size));
  if (!facts) {
    return CopyCheck{CopyVerdict::kUncheckable,
                     fmt::format("verified by {} before s3migrate recorded that checksum's value; "
                                 "the size agrees",
                                 copy.verified_by.empty() ? "an unknown method" : copy.verified_by)};
  }
  auto file = fs.Open(copy.local_path.value_or(""), OpenOptions::Read());
  if (!file.ok()) return FromOpenError(file.status());
  auto result = VerifyFile(**file, ChooseVerification(*facts));
  if (!result.ok()) return CopyCheck{CopyVerdict::kUnreadable, result.status().ToString()};
  if (!result->matched) return CopyCheck{CopyVerdict::kChanged, result->message};
  // A recorded part layout that no longer fits leaves only the size.
  if (!result->content_verified()) return CopyCheck{CopyVerdict::kMatchesSize, result->message};
  return CopyCheck{CopyVerdict::kMatches, {}};
}

}  // namespace s3m::engine
