// Re-checking a verified local copy against what it was verified with
// (`s3migrate verify`): reads only the local file and the database's record
// of the verification, so it works after the objects are gone from S3.
#pragma once

#include <string>

#include "engine/file_system.h"
#include "store/state_store.h"

namespace s3m::engine {

enum class CopyVerdict {
  kMatches,        // the recorded checksum or ETag, computed again from the file
  kMatchesSize,    // verified by size only then, and the size still agrees
  kMissing,        // no file at the recorded path
  kChanged,        // the file's size or content differs from the record
  kUnreadable,     // the file is there but could not be read (permissions, I/O error)
  kUncheckable,    // the record holds nothing to compare with (see FactsFromRecord)
};

struct CopyCheck {
  CopyVerdict verdict = CopyVerdict::kMatches;
  std::string detail;  // for every verdict but kMatches: what differs or failed
};

// True for the verdicts that mean the copy can no longer be trusted.
bool IsCopyProblem(CopyVerdict verdict);
std::string_view CopyVerdictName(CopyVerdict verdict);

// Reads the file at copy.local_path once (not at all for size-only records).
CopyCheck CheckCopy(FileSystem& fs, const store::FileRecord& copy);

}  // namespace s3m::engine
