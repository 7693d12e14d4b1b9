#include "s3emu/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/logging.h"
#include "s3emu/sqlite.h"
#include "s3emu/xml_out.h"

namespace s3emu {

using s3m::Status;

namespace {

constexpr int kReaderPoolMax = 64;
// S3 keys are at most 1024 bytes, so this sorts after every key.
const std::string kKeyInfinity(1100, '\xff');

// Version rows are written and read with one column list, so they cannot drift.
#define S3EMU_VERSION_COLUMNS                                                                   \
  "id, bucket, key, version_id, is_latest, is_delete_marker, last_modified_ms, size, etag, "    \
  "storage_class, content_type, metadata, headers, sse, sse_kms_key_id, sse_c_algorithm, "      \
  "sse_c_key_md5, checksum_algorithm, checksum_type, checksum_value, parts, body_kind, "        \
  "body_file, seed, archive_status, restore_tier, restore_requested_ms, restore_ready_ms, "     \
  "restore_expiry_ms, tags"

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS buckets(
  name TEXT PRIMARY KEY, created_ms INTEGER NOT NULL, region TEXT NOT NULL,
  versioning TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  bucket TEXT NOT NULL, key BLOB NOT NULL, version_id TEXT NOT NULL,
  is_latest INTEGER NOT NULL, is_delete_marker INTEGER NOT NULL,
  last_modified_ms INTEGER NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
  storage_class TEXT NOT NULL, content_type TEXT NOT NULL, metadata TEXT NOT NULL,
  headers TEXT NOT NULL, sse TEXT NOT NULL, sse_kms_key_id TEXT NOT NULL,
  sse_c_algorithm TEXT NOT NULL, sse_c_key_md5 TEXT NOT NULL,
  checksum_algorithm TEXT NOT NULL, checksum_type TEXT NOT NULL, checksum_value TEXT NOT NULL,
  parts TEXT NOT NULL, body_kind INTEGER NOT NULL, body_file TEXT NOT NULL, seed INTEGER NOT NULL,
  archive_status TEXT NOT NULL, restore_tier TEXT NOT NULL, restore_requested_ms INTEGER NOT NULL,
  restore_ready_ms INTEGER NOT NULL, restore_expiry_ms INTEGER NOT NULL,
  tags TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS versions_by_key ON versions(bucket, key, id DESC);
CREATE UNIQUE INDEX IF NOT EXISTS versions_by_version ON versions(bucket, key, version_id);
CREATE INDEX IF NOT EXISTS versions_latest ON versions(bucket, key) WHERE is_latest = 1;
CREATE TABLE IF NOT EXISTS uploads(
  upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL,
  initiated_ms INTEGER NOT NULL, template TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS parts(
  upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, size INTEGER NOT NULL,
  etag TEXT NOT NULL, checksum TEXT NOT NULL, file TEXT NOT NULL,
  PRIMARY KEY(upload_id, part_number));
)sql";

std::string EncodeNameValues(const NameValues& values) {
  if (values.empty()) return {};
  nlohmann::json j = nlohmann::json::array();
  for (const auto& [name, value] : values) j.push_back({name, value});
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

NameValues DecodeNameValues(const std::string& text) {
  NameValues out;
  if (text.empty()) return out;
  for (const auto& item : nlohmann::json::parse(text, nullptr, false)) {
    if (item.is_array() && item.size() == 2) out.emplace_back(item[0].get<std::string>(), item[1].get<std::string>());
  }
  return out;
}

std::string EncodeParts(const std::vector<PartInfo>& parts) {
  if (parts.empty()) return {};
  nlohmann::json j = nlohmann::json::array();
  for (const auto& p : parts) j.push_back({p.number, p.size, p.etag, p.checksum});
  return j.dump();
}

std::vector<PartInfo> DecodeParts(const std::string& text) {
  std::vector<PartInfo> out;
  if (text.empty()) return out;
  for (const auto& item : nlohmann::json::parse(text, nullptr, false)) {
    if (!item.is_array() || item.size() != 4) continue;
    out.push_back(PartInfo{item[0].get<int>(), item[1].get<uint64_t>(), item[2].get<std::string>(),
                           item[3].get<std::string>()});
  }
  return out;
}

// Fills a version from a row selected with S3EMU_VERSION_COLUMNS.
ObjectVersion RowToVersion(const Stmt& s) {
  ObjectVersion v;
  v.row_id = s.Int(0);
  v.bucket = s.Text(1);
  v.key = s.Text(2);
  v.version_id = s.Text(3);
  v.is_latest = s.Int(4) != 0;
  v.is_delete_marker = s.Int(5) != 0;
  v.last_modified_ms = s.Int(6);
  v.size = static_cast<uint64_t>(s.Int(7));
  v.etag = s.Text(8);
  v.storage_class = s.Text(9);
  v.content_type = s.Text(10);
  v.metadata = DecodeNameValues(s.Text(11));
  v.headers = DecodeNameValues(s.Text(12));
  v.sse = s.Text(13);
  v.sse_kms_key_id = s.Text(14);
  v.sse_c_algorithm = s.Text(15);
  v.sse_c_key_md5 = s.Text(16);
  v.checksum_algorithm = s.Text(17);
  v.checksum_type = s.Text(18);
  v.checksum_value = s.Text(19);
  v.parts = DecodeParts(s.Text(20));
  v.body_kind = static_cast<BodyKind>(s.Int(21));
  v.body_file = s.Text(22);
  v.seed = static_cast<uint64_t>(s.Int(23));
  v.archive_status = s.Text(24);
  v.restore.tier = s.Text(25);
  v.restore.requested_ms = s.Int(26);
  v.restore.ready_ms = s.Int(27);
  v.restore.expiry_ms = s.Int(28);
  v.tags = DecodeNameValues(s.Text(29));
  return v;
}

// Binds every column but id, in S3EMU_VERSION_COLUMNS order, from index 1.
void BindVersion(Stmt& s, const ObjectVersion& v) {
  s.Bind(1, v.bucket)
      .BindBlob(2, v.key)
      .Bind(3, v.version_id)
      .Bind(4, int64_t{v.is_latest})
      .Bind(5, int64_t{v.is_delete_marker})
      .Bind(6, v.last_modified_ms)
      .Bind(7, static_cast<int64_t>(v.size))
      .Bind(8, v.etag)
      .Bind(9, v.storage_class)
      .Bind(10, v.content_type)
      .Bind(11, EncodeNameValues(v.metadata))
      .Bind(12, EncodeNameValues(v.headers))
      .Bind(13, v.sse)
      .Bind(14, v.sse_kms_key_id)
      .Bind(15, v.sse_c_algorithm)
      .Bind(16, v.sse_c_key_md5)
      .Bind(17, v.checksum_algorithm)
      .Bind(18, v.checksum_type)
      .Bind(19, v.checksum_value)
      .Bind(20, EncodeParts(v.parts))
      .Bind(21, static_cast<int64_t>(v.body_kind))
      .Bind(22, v.body_file)
      .Bind(23, static_cast<int64_t>(v.seed))
      .Bind(24, v.archive_status)
      .Bind(25, v.restore.tier)
      .Bind(26, v.restore.requested_ms)
      .Bind(27, v.restore.ready_ms)
      .Bind(28, v.restore.expiry_ms)
      .Bind(29, EncodeNameValues(v.tags));
}

// The object template of a multipart upload, as JSON.
std::string EncodeTemplate(const ObjectVersion& v) {
  nlohmann::json j = {
      {"storage_class", v.storage_class},   {"content_type", v.content_type},
      {"metadata", EncodeNameValues(v.metadata)}, {"headers", EncodeNameValues(v.headers)},
      {"sse", v.sse},                       {"sse_kms_key_id", v.sse_kms_key_id},
      {"sse_c_algorithm", v.sse_c_algorithm}, {"sse_c_key_md5", v.sse_c_key_md5},
      {"checksum_algorithm", v.checksum_algorithm}, {"checksum_type", v.checksum_type},
      {"archive_status", v.archive_status}, {"tags", EncodeNameValues(v.tags)},
  };
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ObjectVersion DecodeTemplate(const std::string& text) {
  ObjectVersion v;
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return v;
  v.storage_class = j.value("storage_class", "STANDARD");
  v.content_type = j.value("content_type", "");
  v.metadata = DecodeNameValues(j.value("metadata", ""));
  v.headers = DecodeNameValues(j.value("headers", ""));
  v.sse = j.value("sse", "");
  v.sse_kms_key_id = j.value("sse_kms_key_id", "");
  v.sse_c_algorithm = j.value("sse_c_algorithm", "");
  v.sse_c_key_md5 = j.value("sse_c_key_md5", "");
  v.checksum_algorithm = j.value("checksum_algorithm", "");
  v.checksum_type = j.value("checksum_type", "");
  v.archive_status = j.value("archive_status", "");
  v.tags = DecodeNameValues(j.value("tags", ""));
  return v;
}

// The smallest string greater than every string starting with `prefix`
// (bytes compared unsigned), or kKeyInfinity when there is none.
std::string PrefixSuccessor(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (prefix.empty()) return kKeyInfinity;
  prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

bool LessBytes(const std::string& a, const std::string& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) {
                                        return static_cast<unsigned char>(x) < static_cast<unsigned char>(y);
                                      });
}

// With a delimiter, the common prefix `key` rolls up into, or "".
std::string CommonPrefixOf(const std::string& key, const std::string& prefix, const std::string& delimiter) {
  if (delimiter.empty()) return {};
  const size_t at = key.find(delimiter, prefix.size());
  if (at == std::string::npos) return {};
  return key.substr(0, at + delimiter.size());
}

S3Error DbError(const Status& s) { return InternalError(s.message()); }

// The latest version of bucket/key (a delete marker included) when
// version_id is empty, else that version; nullopt when there is none.
ErrorOr<std::optional<ObjectVersion>> LookupVersion(Db& db, const std::string& bucket, const std::string& key,
                                                    const std::string& version_id) {
  Stmt s = version_id.empty()
               ? db.Prepare("SELECT " S3EMU_VERSION_COLUMNS
                            " FROM versions WHERE bucket = ?1 AND key = ?2 AND is_latest = 1")
               : db.Prepare("SELECT " S3EMU_VERSION_COLUMNS
                            " FROM versions WHERE bucket = ?1 AND key = ?2 AND version_id = ?3");
  s.Bind(1, bucket).BindBlob(2, key);
  if (!version_id.empty()) s.Bind(3, version_id);
  std::optional<ObjectVersion> found;
  if (s.Step()) found = RowToVersion(s);
  if (!s.status().ok()) return DbError(s.status());
  return found;
}

// Walks rows of `sql` (parameters: bucket, inclusive lower bound, exclusive
// upper bound, batch size; column 2 the key, 5 is_delete_marker) in key order
// from `lower`. With a delimiter, keys under one common prefix roll up into a
// single on_prefix call and the walk seeks past all of them at once, so a
// folder of a million keys costs one row. Returns true (truncated) as soon as
// an entry beyond `max_keys - already` exists.
ErrorOr<bool> WalkKeys(Db& db, const char* sql, const std::string& bucket, std::string lower,
                       const std::string& upper, const std::string& prefix, const std::string& delimiter,
                       int max_keys, int already, bool skip_delete_markers,
                       const std::function<void(const Stmt&, const std::string&)>& on_row,
                       const std::function<void(const std::string&)>& on_prefix) {
  int count = already;
  while (true) {
    const int batch = std::max(max_keys - count, 0) + 1;
    Stmt s = db.Prepare(sql);
    s.Bind(1, bucket).BindBlob(2, lower).BindBlob(3, upper).Bind(4, int64_t{batch});
    int rows = 0;
    bool reseek = false;
    while (s.Step()) {
      ++rows;
      const std::string key = s.Text(2);
      if (skip_delete_markers && s.Int(5) != 0) {
        lower = key + '\0';
        continue;
      }
      if (count == max_keys) return true;
      ++count;
      if (const std::string common = CommonPrefixOf(key, prefix, delimiter); !common.empty()) {
        on_prefix(common);
        lower = PrefixSuccessor(common);
        reseek = true;
        break;
      }
      on_row(s, key);
      // Without skipped rows every row counts, so a full batch of versions
      // has returned above before a key's versions could be split.
      lower = key + '\0';
    }
    if (!s.status().ok()) return DbError(s.status());
    if ((!reseek && rows < batch) || lower == kKeyInfinity) return false;
  }
}

}  // namespace

std::string ResumeBoundAfter(const std::string& marker, const std::string& prefix, const std::string& delimiter) {
  // A marker that is a common prefix resumes after every key under it.
  if (!marker.empty() && CommonPrefixOf(marker, prefix, delimiter) == marker) return PrefixSuccessor(marker);
  return marker + '\0';
}

std::string RandomId(size_t length) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
  thread_local std::mt19937_64 rng{std::random_device{}() ^
                                   static_cast<uint64_t>(reinterpret_cast<uintptr_t>(&length))};
  std::string out(length, ' ');
  for (char& c : out) c = kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
  return out;
}

// ---------------------------------------------------------------------------
// Reader pool

class Store::ReaderLease {
 public:
  ReaderLease(const Store* store, std::unique_ptr<Db> db) : store_(store), db_(std::move(db)) {}
  ReaderLease(ReaderLease&&) = default;
  ~ReaderLease() {
    if (!db_) return;
    std::lock_guard lock(store_->pool_mu_);
    if (store_->readers_.size() < kReaderPoolMax) store_->readers_.push_back(std::move(db_));
  }
  Db* get() const { return db_.get(); }
  Db* operator->() const { return db_.get(); }
  bool ok() const { return db_ != nullptr; }

 private:
  const Store* store_;
  std::unique_ptr<Db> db_;
};

Store::ReaderLease Store::Reader() const {
  {
    std::lock_guard lock(pool_mu_);
    if (!readers_.empty()) {
      std::unique_ptr<Db> db = std::move(readers_.back());
      readers_.pop_back();
      return ReaderLease(this, std::move(db));
    }
  }
  auto db = Db::Open(options_.data_dir + "/meta.db");
  if (!db.ok()) {
    S3M_LOG_ERROR("s3emu: {}", db.status().ToString());
    return ReaderLease(this, nullptr);
  }
  return ReaderLease(this, std::move(db).value());
}

// ---------------------------------------------------------------------------
// Opening

s3m::Result<std::unique_ptr<Store>> Store::Open(const Options& options) {
  std::unique_ptr<Store> store(new Store(options));
  for (const char* sub : {"", "/objects", "/uploads", "/tmp"}) {
    S3M_RETURN_IF_ERROR(MakeDirs(options.data_dir + sub));
  }
  // Temporary files of uploads cut off by the last stop are garbage.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options.data_dir + "/tmp", ec)) {
    std::filesystem::remove(entry.path(), ec);
  }
  S3M_ASSIGN_OR_RETURN(store->writer_, Db::Open(options.data_dir + "/meta.db"));
  S3M_RETURN_IF_ERROR(store->writer_->Exec(kSchema));
  Stmt s = store->writer_->Prepare("SELECT name, created_ms, region, versioning FROM buckets");
  while (s.Step()) {
    BucketInfo b{s.Text(0), s.Int(1), s.Text(2), s.Text(3)};
    store->buckets_[b.name] = b;
  }
  S3M_RETURN_IF_ERROR(s.status());
  return store;
}

Store::Store(Options options) : options_(std::move(options)) {}
Store::~Store() = default;

// ---------------------------------------------------------------------------
// Buckets

std::optional<BucketInfo> Store::FindBucket(const std::string& name) const {
  std::shared_lock lock(buckets_mu_);
  auto it = buckets_.find(name);
  if (it == buckets_.end()) return std::nullopt;
  return it->second;
}

std::vector<BucketInfo> Store::ListBuckets() const {
  std::shared_lock lock(buckets_mu_);
  std::vector<BucketInfo> out;
  for (const auto& [name, info] : buckets_) out.push_back(info);
  return out;
}

ErrorOr<Done> Store::CreateBucket(const std::string& name, const std::string& region) {
  std::lock_guard lock(writer_mu_);
  if (FindBucket(name)) {
    return MakeError(409, "BucketAlreadyOwnedByYou",
                     "Your previous request to create the named bucket succeeded and you already "
                     "own it.")
        .With("BucketName", name);
  }
  BucketInfo info{name, NowMs(), region, ""};
  Stmt s = writer_->Prepare("INSERT INTO buckets(name, created_ms, region, versioning) VALUES(?1, ?2, ?3, ?4)");
  s.Bind(1, info.name).Bind(2, info.created_ms).Bind(3, info.region).Bind(4, info.versioning);
  if (Status st = s.Run(); !st.ok()) return DbError(st);
  std::unique_lock block(buckets_mu_);
  buckets_[name] = info;
  return Done{};
}

ErrorOr<Done> Store::DeleteBucket(const std::string& name) {
  std::vector<std::string> upload_dirs;
  {
    std::lock_guard lock(writer_mu_);
    if (!FindBucket(name)) return NoSuchBucket(name);
    const bool empty = [&] {
      Stmt any = writer_->Prepare("SELECT 1 FROM versions WHERE bucket = ?1 LIMIT 1");
      any.Bind(1, name);
      return !any.Step();
    }();
    if (!empty) {
      return MakeError(409, "BucketNotEmpty", "The bucket you tried to delete is not empty")
          .With("BucketName", name);
    }
    Transaction tx(*writer_);
    Stmt uploads = writer_->Prepare("SELECT upload_id FROM uploads WHERE bucket = ?1");
    uploads.Bind(1, name);
    while (uploads.Step()) upload_dirs.push_back("uploads/" + uploads.Text(0));
    Stmt parts = writer_->Prepare(
        "DELETE FROM parts WHERE upload_id IN (SELECT upload_id FROM uploads WHERE bucket = ?1)");
    parts.Bind(1, name);
    Stmt ups = writer_->Prepare("DELETE FROM uploads WHERE bucket = ?1");
    ups.Bind(1, name);
    Stmt s = writer_->Prepare("DELETE FROM buckets WHERE name = ?1");
    s.Bind(1, name);
    for (Stmt* st : {&parts, &ups, &s}) {
      if (Status r = st->Run(); !r.ok()) return DbError(r);
    }
    if (Status c = tx.Commit(); !c.ok()) return DbError(c);
    std::unique_lock block(buckets_mu_);
    buckets_.erase(name);
  }
  std::error_code ec;
  for (const auto& dir : upload_dirs) std::filesystem::remove_all(options_.data_dir + "/" + dir, ec);
  return Done{};
}

ErrorOr<Done> Store::SetVersioning(const std::string& name, const std::string& status) {
  std::lock_guard lock(writer_mu_);
  if (!FindBucket(name)) return NoSuchBucket(name);
  Stmt s = writer_->Prepare("UPDATE buckets SET versioning = ?2 WHERE name = ?1");
  s.Bind(1, name).Bind(2, status);
  if (Status st = s.Run(); !st.ok()) return DbError(st);
  std::unique_lock block(buckets_mu_);
  buckets_[name].versioning = status;
  return Done{};
}

// ---------------------------------------------------------------------------
// Objects

ErrorOr<ObjectVersion> Store::Get(const std::string& bucket, const std::string& key,
                                  const std::string& version_id) const {
  if (!FindBucket(bucket)) return NoSuchBucket(bucket);
  ReaderLease db = Reader();
  if (!db.ok()) return InternalError("metadata database unavailable");
  auto found = LookupVersion(*db.get(), bucket, key, version_id);
  if (!found.ok()) return found.error();
  if (!found.value()) return version_id.empty() ? NoSuchKey(key) : NoSuchVersion(key, version_id);
  return std::move(*found.value());
}

ErrorOr<std::shared_ptr<const BodySource>> Store::OpenBody(const ObjectVersion& v) const {
  switch (v.body_kind) {
    case BodyKind::kSynthetic:
      return std::shared_ptr<const BodySource>(std::make_shared<SyntheticBody>(v.seed, v.key, v.size));
    case BodyKind::kNone:
      return std::shared_ptr<const BodySource>(std::make_shared<StringBody>(std::string()));
    case BodyKind::kFile: {
      auto file = FileBody::Open(options_.data_dir + "/" + v.body_file);
      if (!file.ok()) return InternalError(file.status().message());
      return std::shared_ptr<const BodySource>(std::move(file).value());
    }
  }
  return InternalError("unknown body kind");
}

std::string Store::NewBodyPath() {
  const std::string id = RandomId(24);
  std::string hex = fmt::format("{:02x}", static_cast<unsigned char>(id[0]) ^ static_cast<unsigned char>(id[1]));
  return "objects/" + hex + "/" + id;
}

void Store::RemoveFiles(const std::vector<std::string>& relative_paths) const {
  for (const auto& path : relative_paths) {
    if (!path.empty()) ::unlink((options_.data_dir + "/" + path).c_str());
  }
}

ErrorOr<ObjectVersion> Store::PutLocked(ObjectVersion v, const BucketInfo& bucket,
                                        std::vector<std::string>* files_to_remove) {
  if (bucket.versioning == "Enabled") {
    v.version_id = RandomId(32);
  } else {
    // Unversioned or suspended: the new version is the "null" version and
    // replaces any earlier null version (S3 User Guide, "Adding objects to
    // versioning-suspended buckets").
    v.version_id = "null";
    Stmt old = writer_->Prepare(
        "DELETE FROM versions WHERE bucket = ?1 AND key = ?2 AND version_id = 'null' RETURNING body_file");
    old.Bind(1, v.bucket).BindBlob(2, v.key);
    while (old.Step()) files_to_remove->push_back(old.Text(0));
    if (!old.status().ok()) return DbError(old.status());
  }
  Stmt demote = writer_->Prepare(
      "UPDATE versions SET is_latest = 0 WHERE bucket = ?1 AND key = ?2 AND is_latest = 1");
  demote.Bind(1, v.bucket).BindBlob(2, v.key);
  if (Status st = demote.Run(); !st.ok()) return DbError(st);
  return InsertLatestLocked(std::move(v));
}

ErrorOr<ObjectVersion> Store::InsertLatestLocked(ObjectVersion v) {
  v.is_latest = true;
  Stmt insert = writer_->Prepare(
      "INSERT INTO versions(bucket, key, version_id, is_latest, is_delete_marker, last_modified_ms, "
      "size, etag, storage_class, content_type, metadata, headers, sse, sse_kms_key_id, "
      "sse_c_algorithm, sse_c_key_md5, checksum_algorithm, checksum_type, checksum_value, parts, "
      "body_kind, body_file, seed, archive_status, restore_tier, restore_requested_ms, "
      "restore_ready_ms, restore_expiry_ms, tags) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
      "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)");
  BindVersion(insert, v);
  if (Status st = insert.Run(); !st.ok()) return DbError(st);
  v.row_id = writer_->LastInsertRowId();
  return v;
}

ErrorOr<ObjectVersion> Store::Put(ObjectVersion v, std::unique_ptr<AtomicFileWriter> body) {
  return Commit(std::move(v), std::move(body), /*upload_id=*/"");
}

ErrorOr<ObjectVersion> Store::Commit(ObjectVersion v, std::unique_ptr<AtomicFileWriter> body,
                                     const std::string& upload_id) {
  // The body is durable under its final name before any row names it.
  if (body) {
    v.body_kind = BodyKind::kFile;
    v.body_file = NewBodyPath();
    const std::string final_path = options_.data_dir + "/" + v.body_file;
    if (Status st = MakeDirs(final_path.substr(0, final_path.rfind('/'))); !st.ok()) return DbError(st);
    if (Status st = body->Commit(final_path); !st.ok()) return DbError(st);
  }
  std::vector<std::string> files_to_remove;
  auto stored = [&]() -> ErrorOr<ObjectVersion> {
    std::lock_guard lock(writer_mu_);
    auto bucket = FindBucket(v.bucket);
    if (!bucket) return NoSuchBucket(v.bucket);
    Transaction tx(*writer_);
    if (!upload_id.empty()) {
      if (auto missing = CheckUploadLocked(upload_id)) return *missing;
      Stmt parts = writer_->Prepare("DELETE FROM parts WHERE upload_id = ?1");
      parts.Bind(1, upload_id);
      Stmt upload = writer_->Prepare("DELETE FROM uploads WHERE upload_id = ?1");
      upload.Bind(1, upload_id);
      for (Stmt* st : {&parts, &upload}) {
        if (Status r = st->Run(); !r.ok()) return DbError(r);
      }
    }
    auto put = PutLocked(v, *bucket, &files_to_remove);
    if (!put.ok()) return put;
    if (Status c = tx.Commit(); !c.ok()) return DbError(c);
    return put;
  }();
  if (!stored.ok()) {
    RemoveFiles({v.body_file});  // the new body is nobody's
    return stored;
  }
  RemoveFiles(files_to_remove);
  if (!upload_id.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(options_.data_dir + "/uploads/" + upload_id, ec);
  }
  return stored;
}

void Store::PromoteLatestLocked(const std::string& bucket, const std::string& key) {
  Stmt s = writer_->Prepare(
      "UPDATE versions SET is_latest = 1 WHERE id = (SELECT id FROM versions WHERE bucket = ?1 AND "
      "key = ?2 ORDER BY id DESC LIMIT 1)");
  s.Bind(1, bucket).BindBlob(2, key);
  s.Run().IgnoreError();
}

ErrorOr<DeleteOutcome> Store::Delete(const std::string& bucket_name, const std::string& key,
                                     const std::string& version_id, const DeletePrecondition& precondition) {
  std::vector<std::string> files_to_remove;
  DeleteOutcome outcome;
  {
    std::lock_guard lock(writer_mu_);
    auto bucket = FindBucket(bucket_name);
    if (!bucket) return NoSuchBucket(bucket_name);
    Transaction tx(*writer_);
    if (!tx.begin_status().ok()) return DbError(tx.begin_status());
    auto lookup = LookupVersion(*writer_, bucket_name, key, version_id);
    if (!lookup.ok()) return lookup.error();
    const std::optional<ObjectVersion>& target = lookup.value();
    if (precondition) {
      const ObjectVersion* live = target && !(version_id.empty() && target->is_delete_marker) ? &*target : nullptr;
      if (auto refused = precondition(live)) return *refused;
    }
    if (!version_id.empty() || bucket->versioning.empty()) {
      // Remove exactly one version (the null version when unversioned).
      if (target) {
        Stmt del = writer_->Prepare("DELETE FROM versions WHERE id = ?1");
        del.Bind(1, target->row_id);
        if (Status st = del.Run(); !st.ok()) return DbError(st);
        files_to_remove.push_back(target->body_file);
        if (target->is_latest) PromoteLatestLocked(bucket_name, key);
        if (!version_id.empty()) {
          outcome.delete_marker = target->is_delete_marker;
          outcome.version_id = target->version_id;
        }
      } else if (!version_id.empty()) {
        outcome.version_id = version_id;  // deleting a missing version succeeds (204)
      }
    } else {
      // Versioned: add a delete marker on top.
      ObjectVersion marker;
      marker.bucket = bucket_name;
      marker.key = key;
      marker.is_delete_marker = true;
      marker.last_modified_ms = NowMs();
      marker.storage_class = "STANDARD";
      auto stored = PutLocked(std::move(marker), *bucket, &files_to_remove);
      if (!stored.ok()) return stored.error();
      outcome.delete_marker = true;
      outcome.version_id = stored->version_id;
    }
    if (Status c = tx.Commit(); !c.ok()) return DbError(c);
  }
  RemoveFiles(files_to_remove);
  return outcome;
}

ErrorOr<ObjectVersion> Store::UpdateArchive(const std::string& bucket, const std::string& key,
                                            const std::string& version_id,
                                            const std::function<ErrorOr<Done>(ObjectVersion&)>& mutate) {
  std::lock_guard lock(writer_mu_);
  if (!FindBucket(bucket)) return NoSuchBucket(bucket);
  auto lookup = LookupVersion(*writer_, bucket, key, version_id);
  if (!lookup.ok()) return lookup.error();
  std::optional<ObjectVersion>& v = lookup.value();
  if (!v || (version_id.empty() && v->is_delete_marker)) {
    return version_id.empty() ? NoSuchKey(key) : NoSuchVersion(key, version_id);
  }
  if (v->is_delete_marker) {
    return MakeError(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
        .WithHeader("x-amz-delete-marker", "true");
  }
  auto changed = mutate(*v);
  if (!changed.ok()) return changed.error();
  Stmt u = writer_->Prepare(
      "UPDATE versions SET archive_status = ?2, restore_tier = ?3, restore_requested_ms = ?4, "
      "restore_ready_ms = ?5, restore_expiry_ms = ?6 WHERE id = ?1");
  u.Bind(1, v->row_id).Bind(2, v->archive_status).Bind(3, v->restore.tier);
  u.Bind(4, v->restore.requested_ms).Bind(5, v->restore.ready_ms).Bind(6, v->restore.expiry_ms);
  if (Status st = u.Run(); !st.ok()) return DbError(st);
  return *v;
}

// ---------------------------------------------------------------------------
// Listings

ErrorOr<ListPage> Store::ListObjects(const ListQuery& q) const {
  if (!FindBucket(q.bucket)) return NoSuchBucket(q.bucket);
  ReaderLease db = Reader();
  if (!db.ok()) return InternalError("metadata database unavailable");
  ListPage page;
  const std::string lower = LessBytes(q.lower, q.prefix) ? q.prefix : q.lower;
  const std::string upper = q.prefix.empty() ? kKeyInfinity : PrefixSuccessor(q.prefix);
  auto truncated = WalkKeys(
      *db.get(),
      "SELECT " S3EMU_VERSION_COLUMNS
      " FROM versions WHERE bucket = ?1 AND is_latest = 1 AND key >= ?2 AND key < ?3 ORDER BY key LIMIT ?4",
      q.bucket, lower, upper, q.prefix, q.delimiter, q.max_keys, 0, /*skip_delete_markers=*/true,
      [&](const Stmt& s, const std::string& key) {
        page.objects.push_back(RowToVersion(s));
        page.last_item = key;
        page.next_lower = key + '\0';
      },
      [&](const std::string& common) {
        page.common_prefixes.push_back(common);
        page.last_item = common;
        page.next_lower = PrefixSuccessor(common);
      });
  if (!truncated.ok()) return truncated.error();
  page.truncated = truncated.value();
  return page;
}

ErrorOr<VersionsPage> Store::ListVersions(const VersionsQuery& q) const {
  if (!FindBucket(q.bucket)) return NoSuchBucket(q.bucket);
  ReaderLease db = Reader();
  if (!db.ok()) return InternalError("metadata database unavailable");
  VersionsPage page;
  int count = 0;
  const std::string upper = q.prefix.empty() ? kKeyInfinity : PrefixSuccessor(q.prefix);
  std::string lower = q.prefix;
  if (!q.key_marker.empty()) {
    const std::string after = ResumeBoundAfter(q.key_marker, q.prefix, q.delimiter);
    if (LessBytes(lower, after)) lower = after;
  }
  // Versions of key_marker older than version_id_marker come first.
  if (!q.key_marker.empty() && !q.version_id_marker.empty()) {
    Stmt m = db->Prepare("SELECT id FROM versions WHERE bucket = ?1 AND key = ?2 AND version_id = ?3");
    m.Bind(1, q.bucket).BindBlob(2, q.key_marker).Bind(3, q.version_id_marker);
    if (!m.Step()) {
      return InvalidArgument("Invalid version id specified").With("ArgumentName", "version-id-marker")
          .With("ArgumentValue", q.version_id_marker);
    }
    const int64_t marker_id = m.Int(0);
    Stmt s = db->Prepare("SELECT " S3EMU_VERSION_COLUMNS
                         " FROM versions WHERE bucket = ?1 AND key = ?2 AND id < ?3 ORDER BY id DESC");
    s.Bind(1, q.bucket).BindBlob(2, q.key_marker).Bind(3, marker_id);
    while (s.Step()) {
      if (count == q.max_keys) {
        page.truncated = true;
        return page;
      }
      ++count;
      page.versions.push_back(RowToVersion(s));
      page.next_key_marker = page.versions.back().key;
      page.next_version_id_marker = page.versions.back().version_id;
    }
  }
  auto truncated = WalkKeys(
      *db.get(),
      "SELECT " S3EMU_VERSION_COLUMNS
      " FROM versions WHERE bucket = ?1 AND key >= ?2 AND key < ?3 ORDER BY key ASC, id DESC LIMIT ?4",
      q.bucket, lower, upper, q.prefix, q.delimiter, q.max_keys, count, /*skip_delete_markers=*/false,
      [&](const Stmt& s, const std::string& key) {
        page.versions.push_back(RowToVersion(s));
        page.next_key_marker = key;
        page.next_version_id_marker = page.versions.back().version_id;
      },
      [&](const std::string& common) {
        page.common_prefixes.push_back(common);
        page.next_key_marker = common;
        page.next_version_id_marker.clear();
      });
  if (!truncated.ok()) return truncated.error();
  page.truncated = truncated.value();
  return page;
}

// ---------------------------------------------------------------------------
// Multipart uploads

ErrorOr<std::string> Store::CreateUpload(const std::string& bucket, const std::string& key,
                                         const ObjectVersion& object_template) {
  const std::string upload_id = RandomId(40);
  if (Status st = MakeDirs(options_.data_dir + "/uploads/" + upload_id); !st.ok()) return DbError(st);
  std::lock_guard lock(writer_mu_);
  if (!FindBucket(bucket)) return NoSuchBucket(bucket);
  Stmt s = writer_->Prepare(
      "INSERT INTO uploads(upload_id, bucket, key, initiated_ms, template) VALUES(?1, ?2, ?3, ?4, ?5)");
  s.Bind(1, upload_id).Bind(2, bucket).BindBlob(3, key).Bind(4, NowMs()).Bind(5, EncodeTemplate(object_template));
  if (Status st = s.Run(); !st.ok()) return DbError(st);
  return upload_id;
}

ErrorOr<UploadInfo> Store::GetUpload(const std::string& upload_id, const std::string& bucket,
                                     const std::string& key) const {
  if (!FindBucket(bucket)) return NoSuchBucket(bucket);
  ReaderLease db = Reader();
  if (!db.ok()) return InternalError("metadata database unavailable");
  Stmt s = db->Prepare("SELECT bucket, key, initiated_ms, template FROM uploads WHERE upload_id = ?1");
  s.Bind(1, upload_id);
  if (!s.Step() || s.Text(0) != bucket || s.Text(1) != key) {
    return MakeError(404, "NoSuchUpload",
                     "The specified upload does not exist. The upload ID may be invalid, or the "
                     "upload may have been aborted or completed.")
        .With("UploadId", upload_id);
  }
  UploadInfo info;
  info.upload_id = upload_id;
  info.bucket = bucket;
  info.key = key;
  info.initiated_ms = s.Int(2);
  info.object = DecodeTemplate(s.Text(3));
  return info;
}

std::optional<S3Error> Store::CheckUploadLocked(const std::string& upload_id) {
  Stmt exists = writer_->Prepare("SELECT 1 FROM uploads WHERE upload_id = ?1");
  exists.Bind(1, upload_id);
  if (exists.Step()) return std::nullopt;
  return MakeError(404, "NoSuchUpload", "The specified upload does not exist.").With("UploadId", upload_id);
}

std::string Store::PartPath(const std::string& upload_id, int part_number) const {
  return "uploads/" + upload_id + "/" + std::to_string(part_number) + "-" + RandomId(8);
}

ErrorOr<Done> Store::PutPart(const std::string& upload_id, const PartInfo& part,
                             std::unique_ptr<AtomicFileWriter> body) {
  const std::string file = PartPath(upload_id, part.number);
  if (Status st = body->Commit(options_.data_dir + "/" + file); !st.ok()) return DbError(st);
  std::vector<std::string> old_files;
  {
    std::lock_guard lock(writer_mu_);
    Transaction tx(*writer_);
    if (auto missing = CheckUploadLocked(upload_id)) {
      RemoveFiles({file});
      return *missing;
    }
    Stmt old = writer_->Prepare(
        "DELETE FROM parts WHERE upload_id = ?1 AND part_number = ?2 RETURNING file");
    old.Bind(1, upload_id).Bind(2, int64_t{part.number});
    while (old.Step()) old_files.push_back(old.Text(0));
    Stmt s = writer_->Prepare(
        "INSERT INTO parts(upload_id, part_number, size, etag, checksum, file) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    s.Bind(1, upload_id).Bind(2, int64_t{part.number}).Bind(3, static_cast<int64_t>(part.size));
    s.Bind(4, part.etag).Bind(5, part.checksum).Bind(6, file);
    if (Status st = s.Run(); !st.ok()) return DbError(st);
    if (Status c = tx.Commit(); !c.ok()) return DbError(c);
  }
  RemoveFiles(old_files);
  return Done{};
}

ErrorOr<std::vector<PartInfo>> Store::ListParts(const std::string& upload_id) const {
  ReaderLease db = Reader();
  if (!db.ok()) return InternalError("metadata database unavailable");
  Stmt s = db->Prepare(
      "SELECT part_number, size, etag, checksum, file FROM parts WHERE upload_id = ?1 ORDER BY part_number");
  s.Bind(1, upload_id);
  std::vector<PartInfo> parts;
  while (s.Step()) {
    parts.push_back(PartInfo{static_cast<int>(s.Int(0)), static_cast<uint64_t>(s.Int(1)), s.Text(2), s.Text(3)});
  }
  if (!s.status().ok()) return DbError(s.status());
  return parts;
}

ErrorOr<std::shared_ptr<const BodySource>> Store::OpenPart(const std::string& upload_id,
                                                          int part_number) const {
  ReaderLease db = Reader();
  if (!db.ok()) return InternalError("metadata database unavailable");
  Stmt s = db->Prepare("SELECT file FROM parts WHERE upload_id = ?1 AND part_number = ?2");
  s.Bind(1, upload_id).Bind(2, int64_t{part_number});
  if (!s.Step()) return InternalError("part " + std::to_string(part_number) + " has no file");
  auto file = FileBody::Open(options_.data_dir + "/" + s.Text(0));
  if (!file.ok()) return InternalError(file.status().message());
  return std::shared_ptr<const BodySource>(std::move(file).value());
}

ErrorOr<ObjectVersion> Store::CompleteUpload(const std::string& upload_id, ObjectVersion v,
                                             std::unique_ptr<AtomicFileWriter> body) {
  return Commit(std::move(v), std::move(body), upload_id);
}

ErrorOr<Done> Store::AbortUpload(const std::string& upload_id) {
  {
    std::lock_guard lock(writer_mu_);
    Transaction tx(*writer_);
    Stmt parts = writer_->Prepare("DELETE FROM parts WHERE upload_id = ?1");
    parts.Bind(1, upload_id);
    Stmt up = writer_->Prepare("DELETE FROM uploads WHERE upload_id = ?1");
    up.Bind(1, upload_id);
    if (Status st = parts.Run(); !st.ok()) return DbError(st);
    if (Status st = up.Run(); !st.ok()) return DbError(st);
    if (Status c = tx.Commit(); !c.ok()) return DbError(c);
  }
  std::error_code ec;
  std::filesystem::remove_all(options_.data_dir + "/uploads/" + upload_id, ec);
  return Done{};
}

// ---------------------------------------------------------------------------
// Admin

ErrorOr<uint64_t> Store::AddSynthetic(const SyntheticSpec& spec) {
  if (!FindBucket(spec.bucket)) {
    if (!spec.create_bucket) return NoSuchBucket(spec.bucket);
    auto created = CreateBucket(spec.bucket, "");
    if (!created.ok() && created.error().code != "BucketAlreadyOwnedByYou") return created.error();
  }
  // ETags first, without the lock: this is the slow part.
  std::vector<uint64_t> sizes(spec.count);
  for (uint64_t n = 0; n < spec.count; ++n) sizes[n] = SyntheticSize(spec, spec.start + n);
  SyntheticEtags etags(spec.seed, sizes);
  std::vector<ObjectVersion> objects;
  objects.reserve(spec.count);
  const int64_t now = NowMs();
  for (uint64_t n = 0; n < spec.count; ++n) {
    ObjectVersion v;
    v.bucket = spec.bucket;
    v.key = SyntheticKey(spec.key_pattern, spec.start + n);
    v.size = sizes[n];
    v.etag = etags.Etag(v.key, v.size);
    v.last_modified_ms = now;
    v.storage_class = spec.storage_class;
    v.archive_status = spec.archive_status;
    v.content_type = "binary/octet-stream";
    v.body_kind = BodyKind::kSynthetic;
    v.seed = spec.seed;
    objects.push_back(std::move(v));
  }
  std::vector<std::string> files_to_remove;
  {
    std::lock_guard lock(writer_mu_);
    auto bucket = FindBucket(spec.bucket);
    if (!bucket) return NoSuchBucket(spec.bucket);
    Transaction tx(*writer_);
    // Into an empty bucket (the usual benchmark set-up) nothing is replaced:
    // plain inserts, several times faster than PutLocked's replace-then-insert.
    const bool empty = [&] {
      Stmt any = writer_->Prepare("SELECT 1 FROM versions WHERE bucket = ?1 LIMIT 1");
      any.Bind(1, spec.bucket);
      return !any.Step();
    }();
    for (auto& v : objects) {
      if (empty) v.version_id = bucket->versioning == "Enabled" ? RandomId(32) : "null";
      auto stored = empty ? InsertLatestLocked(std::move(v)) : PutLocked(std::move(v), *bucket, &files_to_remove);
      if (!stored.ok()) return stored.error();
    }
    if (Status c = tx.Commit(); !c.ok()) return DbError(c);
  }
  RemoveFiles(files_to_remove);
  return spec.count;
}

ErrorOr<Done> Store::Reset() {
  {
    std::lock_guard lock(writer_mu_);
    Status st = writer_->Exec("DELETE FROM versions; DELETE FROM parts; DELETE FROM uploads; DELETE FROM buckets;");
    if (!st.ok()) return DbError(st);
    std::unique_lock block(buckets_mu_);
    buckets_.clear();
  }
  std::error_code ec;
  for (const char* sub : {"/objects", "/uploads"}) {
    std::filesystem::remove_all(options_.data_dir + sub, ec);
    if (Status st = MakeDirs(options_.data_dir + sub); !st.ok()) return DbError(st);
  }
  return Done{};
}

}  // namespace s3emu
