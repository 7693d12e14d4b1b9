#include "engine/manifest.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "core/unicode.h"

namespace s3m::engine {

namespace {

constexpr uint64_t kTailScan = 64 * 1024;  // longer than any line (key <= 1 KiB, path <= 4 KiB)

std::string ManifestDir(const std::string& root) { return root + "/.s3migrate/manifests"; }

void PutText(nlohmann::ordered_json& j, const char* name, const std::string& text) {
  j[name] = text;
  if (!IsValidUtf8(text)) j[std::string(name) + "_base64"] = Base64Encode(text);
}

Status Created(const Status& s) {
  // A directory that is already there is what we wanted.
  return s.ok() || s.kind() == ErrorKind::kConflict ? Status::Ok() : s;
}

}  // namespace

// A sample line is in manifest.h.
Result<store::FileRecord> ParseManifestLine(std::string_view line) {
  auto bad = [&](const std::string& why) {
    return Status::Error(ErrorKind::kInvalidArgument, "not a manifest line: " + why);
  };
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return bad("not a JSON object");
  auto text = [&](const char* name, std::string& out) -> bool {
    const auto it = j.find(name);
    if (it == j.end() || !it->is_string()) return false;
    out = it->get<std::string>();
    const auto exact = j.find(std::string(name) + "_base64");
    return exact == j.end() || (exact->is_string() && Base64Decode(exact->get<std::string>(), &out));
  };
  auto number = [&](const char* name, int64_t& out) -> bool {
    const auto it = j.find(name);
    if (it == j.end() || !it->is_number_integer()) return false;
    out = it->get<int64_t>();
    return true;
  };
  store::FileRecord r;
  std::string local_path;
  if (!text("bucket", r.bucket) || !text("key", r.key) || !text("local_path", local_path) ||
      !number("size", r.size)) {
    return bad("bucket, key, size or local_path missing");
  }
  r.local_path = local_path;
  text("version_id", r.version_id);
  text("etag", r.etag);
  text("verified_by", r.verified_by);
  text("verified_checksum", r.verified_checksum);
  number("part_size", r.part_size);
  r.state = store::FileState::kDeleted;
  return r;
}

namespace {
// The manifests in `dir` (of `bucket` only, when given).
void AddManifests(FileSystem& fs, const std::string& dir, const std::string& bucket, std::vector<std::string>& out) {
  auto entries = fs.ListDirectory(dir);
  if (!entries.ok()) return;
  for (const DirEntry& e : *entries) {
    const bool manifest = e.type != FileType::kDirectory && e.name.size() > 6 && e.name.ends_with(".jsonl");
    if (manifest && (bucket.empty() || e.name == bucket + ".jsonl")) out.push_back(dir + "/" + e.name);
  }
}
}  // namespace

Result<std::vector<std::string>> ManifestFiles(FileSystem& fs, const std::string& dest_root,
                                               const std::vector<std::string>& buckets) {
  const std::string top = ManifestDir(dest_root);
  auto entries = fs.ListDirectory(top);
  if (!entries.ok()) {
    return Status::Error(ErrorKind::kInvalidArgument,
                         fmt::format("no manifests under {} ({}): nothing was deleted from S3 into "
                                     "this destination, or --dest is another one",
                                     top, entries.status().message()));
  }
  // The top directory's, then every worker's (worker-<id>/).
  std::vector<std::string> dirs = {top};
  for (const DirEntry& e : *entries) {
    if (e.type == FileType::kDirectory && e.name.starts_with("worker-")) dirs.push_back(top + "/" + e.name);
  }
  std::vector<std::string> files;
  for (const std::string& bucket : buckets.empty() ? std::vector<std::string>{""} : buckets) {
    const size_t before = files.size();
    for (const std::string& dir : dirs) AddManifests(fs, dir, bucket, files);
    if (!bucket.empty() && files.size() == before) {
      return Status::Error(ErrorKind::kInvalidArgument,
                           fmt::format("s3://{}: no manifest at {} (nothing of it was deleted "
                                       "from S3, or --dest is not where it went)",
                                       bucket, ManifestWriter::PathFor(dest_root, bucket)));
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

ManifestWriter::ManifestWriter(FileSystem& fs, std::string dest_root)
    : fs_(fs), root_(std::move(dest_root)) {}

std::string ManifestWriter::PathFor(const std::string& dest_root, const std::string& bucket) {
  return fmt::format("{}/{}.jsonl", ManifestDir(dest_root), bucket);
}

std::string ManifestWriter::Line(const store::DeletedCopy& c) {
  nlohmann::ordered_json j;
  j["bucket"] = c.bucket;
  PutText(j, "key", c.key);
  j["version_id"] = c.version_id;
  j["size"] = c.size;
  j["etag"] = c.etag;
  j["verified_by"] = c.verified_by;
  j["verified_checksum"] = c.verified_checksum;
  j["part_size"] = c.part_size;
  PutText(j, "local_path", c.local_path);
  j["verified_at"] = c.verified_at;
  j["deleted_at"] = c.deleted_at;
  // What S3 knew of the object beside its bytes, when recorded.
  const std::pair<const char*, const std::string*> texts[] = {
      {"storage_class", &c.storage_class}, {"content_type", &c.content_type}, {"sse", &c.sse_type}};
  for (const auto& [name, value] : texts) {
    if (!value->empty()) j[name] = *value;
  }
  const std::pair<const char*, const std::string*> objects[] = {
      {"metadata", &c.user_metadata}, {"headers", &c.headers}, {"tags", &c.tags}, {"checksums", &c.checksums}};
  for (const auto& [name, text] : objects) {
    if (text->empty()) continue;
    nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_object()) j[name] = std::move(parsed);
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Status ManifestWriter::MakeDirectories() {
  if (directories_made_) return Status::Ok();
  S3M_RETURN_IF_ERROR(Created(fs_.CreateDirectory(root_ + "/.s3migrate")));
  S3M_RETURN_IF_ERROR(Created(fs_.CreateDirectory(ManifestDir(root_))));
  S3M_RETURN_IF_ERROR(fs_.SyncDirectory(root_));
  S3M_RETURN_IF_ERROR(fs_.SyncDirectory(root_ + "/.s3migrate"));
  if (!worker_dir_.empty()) {
    S3M_RETURN_IF_ERROR(Created(fs_.CreateDirectory(ManifestDir(root_) + "/" + worker_dir_)));
    S3M_RETURN_IF_ERROR(fs_.SyncDirectory(ManifestDir(root_)));
  }
  directories_made_ = true;
  return Status::Ok();
}

// Opens (creating) the bucket's manifest and cuts off a line a crash tore.
Result<ManifestWriter::OpenManifest*> ManifestWriter::OpenFor(const std::string& bucket) {
  if (auto it = open_.find(bucket); it != open_.end()) return &it->second;
  S3M_RETURN_IF_ERROR(MakeDirectories());
  const std::string dir = worker_dir_.empty() ? ManifestDir(root_) : ManifestDir(root_) + "/" + worker_dir_;
  const std::string path = fmt::format("{}/{}.jsonl", dir, bucket);
  S3M_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                       fs_.Open(path, OpenOptions{.write = true, .create = true}));
  S3M_ASSIGN_OR_RETURN(FileInfo info, file->Stat());
  uint64_t size = info.size;
  if (size > 0) {
    const uint64_t from = size - std::min(size, kTailScan);
    std::string tail(size - from, '\0');
    S3M_ASSIGN_OR_RETURN(size_t got, file->ReadAt(from, tail.data(), tail.size()));
    tail.resize(got);
    const size_t last = tail.rfind('\n');
    const uint64_t keep = last == std::string::npos ? from : from + last + 1;
    if (keep != size) {
      S3M_RETURN_IF_ERROR(file->Truncate(keep));
      size = keep;
    }
  }
  // The file's own entry must survive a crash before any line counts.
  S3M_RETURN_IF_ERROR(file->Sync());
  S3M_RETURN_IF_ERROR(fs_.SyncDirectory(dir));
  auto [it, inserted] = open_.emplace(bucket, OpenManifest{std::move(file), size});
  return &it->second;
}

Status ManifestWriter::Append(const std::vector<store::DeletedCopy>& copies) {
  std::map<std::string, std::string> lines;  // bucket -> its new lines
  for (const store::DeletedCopy& c : copies) lines[c.bucket] += Line(c) + "\n";
  for (const auto& [bucket, text] : lines) {
    S3M_ASSIGN_OR_RETURN(OpenManifest * m, OpenFor(bucket));
    S3M_RETURN_IF_ERROR(m->file->WriteAt(m->size, text.data(), text.size()));
    S3M_RETURN_IF_ERROR(m->file->DataSync());
    m->size += text.size();
  }
  return Status::Ok();
}

}  // namespace s3m::engine
