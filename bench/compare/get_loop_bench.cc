// The download ceiling: a bare parallel GET loop over one bucket, through the
// same S3Client (libcurl, pooled keep-alive connections) s3migrate uses, with
// every body thrown away — no disk, no hashing, no database. The migrate
// benchmark compares `s3migrate migrate` with this rate, measured in the same
// run against the same server (issue 5: large objects at >= 80% of it).
//
//   bench_compare_get_loop ENDPOINT ACCESS_KEY SECRET_KEY REGION BUCKET THREADS CHUNK_BYTES
//
// Lists the bucket, then splits every object into ranged GETs of at most
// CHUNK_BYTES (objects no larger than that are fetched whole) and lets THREADS
// workers take the pieces from a shared counter. Prints
// "get-loop: N objects, B bytes in S s = R objects/s, M MB/s" (MB = 10^6 bytes).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "../bench_client.h"
#include "s3/client.h"

namespace {

struct Piece {
  const s3m::s3::ObjectSummary* object;
  uint64_t first;
  uint64_t last;  // inclusive
  bool whole;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: %s ENDPOINT ACCESS_KEY SECRET_KEY REGION BUCKET THREADS CHUNK_BYTES\n",
                 argv[0]);
    return 2;
  }
  const int threads = std::atoi(argv[6]);
  const uint64_t chunk = std::strtoull(argv[7], nullptr, 10);
  if (threads < 1 || chunk < 1) {
    std::fprintf(stderr, "THREADS and CHUNK_BYTES must be positive\n");
    return 2;
  }
  auto client = s3m::bench::MakeBenchClient(argv[1], argv[2], argv[3], argv[4]);
  if (!client) return 2;

  std::vector<s3m::s3::ObjectSummary> objects;
  s3m::s3::ListObjectsV2Request list;
  list.bucket = argv[5];
  list.max_keys = 1000;
  for (;;) {
    auto page = client->ListObjectsV2(list);
    if (!page.ok()) {
      std::fprintf(stderr, "%s\n", page.status().ToString().c_str());
      return 1;
    }
    for (auto& object : page->objects) objects.push_back(std::move(object));
    if (!page->is_truncated) break;
    list.continuation_token = page->next_continuation_token;
  }
  std::vector<Piece> pieces;
  for (const auto& object : objects) {
    if (object.size <= chunk) {
      pieces.push_back({&object, 0, 0, true});
      continue;
    }
    for (uint64_t first = 0; first < object.size; first += chunk) {
      pieces.push_back({&object, first, std::min(object.size, first + chunk) - 1, false});
    }
  }

  std::atomic<size_t> next{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<bool> failed{false};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      uint64_t mine = 0;
      const s3m::s3::BodySink discard = [&mine](const char*, size_t n) {
        mine += n;
        return s3m::Status::Ok();
      };
      for (size_t i = next++; i < pieces.size() && !failed; i = next++) {
        s3m::s3::GetObjectRequest get;
        get.bucket = argv[5];
        get.key = pieces[i].object->key;
        if (!pieces[i].whole) get.range = s3m::s3::ByteRange{pieces[i].first, pieces[i].last};
        auto reply = client->GetObject(get, discard);
        if (!reply.ok()) {
          std::fprintf(stderr, "%s\n", reply.status().ToString().c_str());
          failed = true;
        }
      }
      bytes += mine;
    });
  }
  for (auto& worker : workers) worker.join();
  if (failed) return 1;
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("get-loop: %zu objects, %llu bytes in %.2f s = %.0f objects/s, %.1f MB/s\n", objects.size(),
              static_cast<unsigned long long>(bytes.load()), s, static_cast<double>(objects.size()) / s,
              static_cast<double>(bytes.load()) / s / 1e6);
  return 0;
}
