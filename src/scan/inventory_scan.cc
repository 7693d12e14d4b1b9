#include "scan/inventory_scan.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "core/hash.h"
#include "core/logging.h"
#include "core/text.h"
#include "core/unique_fd.h"
#include "scan/inventory.h"

namespace s3m::scan {

namespace {

constexpr size_t kPageObjects = 1000;

struct GzCloser {
  void operator()(gzFile f) const {
    if (f != nullptr) gzclose(f);
  }
};
using GzFile = std::unique_ptr<std::remove_pointer_t<gzFile>, GzCloser>;

Status InventoryError(const std::string& what, const std::string& bucket, const std::string& key) {
  ErrorContext ctx;
  ctx.operation = "read S3 Inventory";
  ctx.bucket = bucket;
  ctx.key = key;
  return Status::Error(ErrorKind::kInvalidArgument, what, ctx);
}

// The whole object as text (the manifest and its checksum are small).
Result<std::string> GetText(s3::ObjectStore& objects, const std::string& bucket, const std::string& key) {
  std::string body;
  s3::GetObjectRequest request;
  request.bucket = bucket;
  request.key = key;
  S3M_RETURN_IF_ERROR(objects
                          .GetObject(request,
                                     [&](const char* data, size_t size) {
                                       body.append(data, size);
                                       return body.size() > (64u << 20)
                                                  ? Status::Error(ErrorKind::kInvalidArgument,
                                                                  "larger than 64 MiB: not a manifest")
                                                  : Status::Ok();
                                     })
                          .status());
  return body;
}

// A spooled data file, removed when this goes out of scope.
class SpoolFile {
 public:
  static Result<SpoolFile> Create(const std::string& dir) {
    std::string path = dir + "/.s3migrate-inventory-XXXXXX";
    UniqueFd fd(::mkstemp(path.data()));
    if (fd.get() < 0) return Status::FromErrno(errno, "create a spool file for the inventory", path);
    return SpoolFile(std::move(path), std::move(fd));
  }
  SpoolFile(SpoolFile&& other) noexcept : path_(std::move(other.path_)), fd_(std::move(other.fd_)) {
    other.path_.clear();
  }
  ~SpoolFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }

 private:
  SpoolFile(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::string path_;
  UniqueFd fd_;
};

// Fetches `file` into a spool file, checking its MD5 and size against the
// manifest's before anything of it is used.
Result<SpoolFile> Fetch(s3::ObjectStore& objects, const std::string& bucket, const InventoryFile& file,
                        const std::string& spool_dir) {
  S3M_ASSIGN_OR_RETURN(SpoolFile spool, SpoolFile::Create(spool_dir));
  Digest md5(DigestAlgorithm::kMd5);
  int64_t size = 0;
  s3::GetObjectRequest request;
  request.bucket = bucket;
  request.key = file.key;
  S3M_RETURN_IF_ERROR(objects
                          .GetObject(request,
                                     [&](const char* data, size_t n) -> Status {
                                       md5.Update(data, n);
                                       size += static_cast<int64_t>(n);
                                       for (size_t done = 0; done < n;) {
                                         const ssize_t w = ::write(spool.fd(), data + done, n - done);
                                         if (w < 0 && errno == EINTR) continue;
                                         if (w < 0) return Status::FromErrno(errno, "write", spool.path());
                                         done += static_cast<size_t>(w);
                                       }
                                       return Status::Ok();
                                     })
                          .status());
  const std::string got = HexEncode(md5.Finish());
  if (got != file.md5_hex || (file.size >= 0 && size != file.size)) {
    return InventoryError(fmt::format("data file {}: {} bytes with MD5 {}, but the manifest says {} "
                                      "bytes with MD5 {}: damaged or replaced; nothing of it was "
                                      "recorded",
                                      file.key, size, got, file.size, file.md5_hex),
                          bucket, file.key);
  }
  return spool;
}

// Reads the gzip'd CSV lines of `path`, calling `on_line` for each.
Status ReadLines(const std::string& path, const std::function<Status(std::string_view)>& on_line) {
  GzFile gz(gzopen(path.c_str(), "rb"));
  if (!gz) return Status::FromErrno(errno, "open the inventory file", path);
  gzbuffer(gz.get(), 256 * 1024);
  std::string line;
  char buffer[64 * 1024];
  while (gzgets(gz.get(), buffer, sizeof buffer) != nullptr) {
    line += buffer;
    if (line.empty() || line.back() != '\n') {
      if (!gzeof(gz.get())) continue;  // a line longer than the buffer
    } else {
      line.pop_back();
    }
    if (!line.empty()) S3M_RETURN_IF_ERROR(on_line(line));
    line.clear();
  }
  int err = Z_OK;
  const char* message = gzerror(gz.get(), &err);
  if (err != Z_OK && err != Z_STREAM_END) {
    return Status::Error(ErrorKind::kInvalidArgument,
                         fmt::format("{}: not a readable gzip file ({})", path, message));
  }
  return Status::Ok();
}

// The report's manifest, checked against manifest.checksum when there is
// one (an absent checksum file is no error; any other failure is).
Result<InventoryManifest> ReadManifest(s3::ObjectStore& objects, const std::string& bucket,
                                       const std::string& key) {
  S3M_ASSIGN_OR_RETURN(std::string text, GetText(objects, bucket, key));
  if (key.ends_with("manifest.json")) {
    const std::string checksum_key = key.substr(0, key.size() - 4) + "checksum";
    auto checksum = GetText(objects, bucket, checksum_key);
    if (checksum.ok()) {
      const std::string want = AsciiLower(TrimAsciiSpace(*checksum));
      const std::string got = HexEncode(Md5(text));
      if (want != got) {
        return InventoryError(fmt::format("manifest.json has MD5 {} but manifest.checksum says {}: the "
                                          "manifest is damaged or was replaced",
                                          got, want),
                              bucket, key);
      }
    } else if (checksum.status().kind() != ErrorKind::kNotFound) {
      return checksum.status();
    }
  }
  return ParseInventoryManifest(text);
}

}  // namespace

Result<BucketScanResult> ScanFromInventory(s3::ObjectStore& objects, store::StateStore& state,
                                           const InventoryScanOptions& options, ScanObserver* observer) {
  BucketScanResult result;
  result.gone_detection = false;
  auto fail = [&](const Status& cause) -> Result<BucketScanResult> {
    result.outcome = BucketOutcome::kFailed;
    result.error = cause;
    if (!result.bucket.empty()) {
      // The database must take the failure: otherwise the run cannot go on.
      S3M_RETURN_IF_ERROR(state.FailListing(result.bucket, cause.ToString()));
    }
    return result;
  };
  auto url = ParseS3Url(options.manifest_url);
  if (!url.ok()) return fail(url.status());
  // Named copies, not a structured binding: lambdas below capture the bucket
  // (clang 14 cannot capture structured bindings).
  const std::string& inventory_bucket = url->first;
  auto manifest = ReadManifest(objects, inventory_bucket, url->second);
  if (!manifest.ok()) return fail(manifest.status());
  auto schema = InventorySchema::From(manifest->columns);
  if (!schema.ok()) return fail(schema.status());
  result.bucket = manifest->source_bucket;
  const std::string& bucket = result.bucket;

  auto region = objects.GetBucketRegion(bucket);
  if (!region.ok()) return fail(region.status());
  result.region = *region;
  store::StartListingRequest start;
  start.bucket = bucket;
  start.region = *region;
  start.listing_api = "S3Inventory";
  start.scan_filter = options.filter.Describe(manifest->source_bucket);
  start.restart = true;  // a report is read from its first file every time
  S3M_RETURN_IF_ERROR(state.StartListing(start).status());

  store::ListingPage page;
  page.bucket = bucket;
  page.detect_gone = false;
  auto flush = [&](bool last) -> Status {
    page.last_page = last;
    page.last_key = page.objects.empty() ? page.last_key : page.objects.back().key;
    S3M_ASSIGN_OR_RETURN(store::PageOutcome outcome, state.ApplyPage(page));
    result.counts.inserted += outcome.inserted;
    result.counts.changed += outcome.changed;
    result.counts.reappeared += outcome.reappeared;
    result.counts.unchanged += outcome.unchanged;
    result.objects_listed += static_cast<int64_t>(page.objects.size());
    if (observer) observer->OnPage(bucket, static_cast<int64_t>(page.objects.size()), result.objects_listed);
    page.objects.clear();
    page.noncurrent_versions = page.noncurrent_bytes = page.delete_markers = 0;
    return Status::Ok();
  };
  for (const InventoryFile& file : manifest->files) {
    if (options.cancelled && options.cancelled->load()) {
      result.outcome = BucketOutcome::kInterrupted;
      return result;
    }
    auto spool = Fetch(objects, inventory_bucket, file, options.spool_dir);
    if (!spool.ok()) return fail(spool.status());
    int64_t line_number = 0;
    Status bad_row;
    Status read = ReadLines(spool->path(), [&](std::string_view line) -> Status {
      ++line_number;
      auto fields = SplitCsvLine(line);
      Result<InventoryRow> row = fields.ok() ? schema->Row(*fields) : Result<InventoryRow>(fields.status());
      if (row.ok() && row->bucket != bucket) {
        row = InventoryError(fmt::format("a row of bucket '{}' in the report of '{}'", row->bucket, bucket),
                             inventory_bucket, file.key);
      }
      if (!row.ok()) {
        bad_row = InventoryError(fmt::format("data file {} line {}: {}", file.key, line_number,
                                             row.status().message()),
                                 inventory_bucket, file.key);
        return bad_row;
      }
      if (row->delete_marker) {
        ++page.delete_markers;
        ++result.delete_markers;
      } else if (!row->is_latest) {
        ++page.noncurrent_versions;
        page.noncurrent_bytes += static_cast<int64_t>(row->object.size);
        ++result.noncurrent_versions;
      } else if (options.filter.KeySelected(bucket, row->object.key)) {
        result.bytes_listed += static_cast<int64_t>(row->object.size);
        page.objects.push_back(std::move(row->object));
        if (page.objects.size() == kPageObjects) return flush(false);
      }
      return Status::Ok();
    });
    if (!bad_row.ok()) return fail(bad_row);
    if (!read.ok()) {
      // The database failing is the run's end; a damaged file is the bucket's.
      if (read.kind() == ErrorKind::kInvalidArgument) return fail(read);
      return read;
    }
  }
  S3M_RETURN_IF_ERROR(flush(true));
  result.outcome = BucketOutcome::kComplete;
  return result;
}

}  // namespace s3m::scan
