// The listing ceiling: a bare paginated ListObjectsV2 loop over one bucket,
// through the same S3Client the scanner uses, recording nothing. The scan
// benchmark compares `s3migrate scan` with this rate, measured in the same
// run against the same server (issue 4: within 10%).
//
//   bench_scan_list_loop ENDPOINT ACCESS_KEY SECRET_KEY REGION BUCKET
//
// Prints "list-loop: N objects in S s = R objects/s".
#include <chrono>
#include <cstdio>

#include "../bench_client.h"
#include "s3/client.h"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s ENDPOINT ACCESS_KEY SECRET_KEY REGION BUCKET\n", argv[0]);
    return 2;
  }
  auto client = s3m::bench::MakeBenchClient(argv[1], argv[2], argv[3], argv[4]);
  if (!client) return 2;
  s3m::s3::ListObjectsV2Request req;
  req.bucket = argv[5];
  // The request the scanner sends (src/scan/scanner.cc, ListObjects).
  req.max_keys = 1000;
  req.url_encoding = true;
  req.fetch_restore_status = true;
  int64_t objects = 0;
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    auto page = client->ListObjectsV2(req);
    if (!page.ok()) {
      std::fprintf(stderr, "%s\n", page.status().ToString().c_str());
      return 1;
    }
    objects += static_cast<int64_t>(page->objects.size());
    if (!page->is_truncated) break;
    req.continuation_token = page->next_continuation_token;
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("list-loop: %lld objects in %.2f s = %.0f objects/s\n", static_cast<long long>(objects), s,
              static_cast<double>(objects) / s);
  return 0;
}
