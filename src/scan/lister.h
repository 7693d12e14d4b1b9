// A scan's lister threads: each runs listing jobs (a bucket, or a key range
// of one) and, with nothing left to list, splits a range another lister
// still lists (range_split.h) and lists its upper part.
#pragma once

#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/status.h"
#include "s3/object_store.h"
#include "scan/listing_queue.h"
#include "scan/scanner.h"
#include "store/state_store.h"

namespace s3m::scan {

// The answer to starting a bucket's listing.
struct StartReply {
  bool elsewhere = false;       // another scan worker holds it, or it is complete
  store::BucketRecord record;
  // A split listing: its ranges this lister's process now holds.
  std::vector<store::ListingRange> ranges;
};

// What listers ask of the state. Each call runs on the writer thread (the
// only one using the state store), through CallWriter.
class ListingWriter {
 public:
  virtual ~ListingWriter() = default;
  virtual Result<StartReply> StartBucket(const store::StartListingRequest& request) = 0;
  virtual Result<std::vector<store::ListingRange>> ClaimRanges(const std::string& bucket) = 0;
  // Ranges of this run's buckets being listed (by anyone): what may be split.
  virtual Result<std::vector<store::ListingRange>> RangesBeingListed() = 0;
  virtual Result<std::optional<store::ListingRange>> Split(const store::ListingRange& range,
                                                           const std::string& at) = 0;
};

class Lister {
 public:
  Lister(s3::ObjectStore& objects, const ScanOptions& options, MessageQueue& queue, JobBoard& board,
         ListingWriter& writer)
      : objects_(objects), options_(options), queue_(queue), board_(board), writer_(writer) {}

  // Takes jobs from the board (and, when allowed, ranges to split) until no
  // work is left or the scan stops.
  void Run(bool split);

 private:
  bool Cancelled() const;
  // Runs one job and sends its end.
  void RunJob(const ListingJob& job);
  BucketOutcome Job(const ListingJob& job, Status& error);
  BucketOutcome StartBucket(const std::string& bucket, Status& error);
  // Lists the first of `ranges`, leaving the others on the board.
  BucketOutcome ListRanges(std::vector<store::ListingRange> ranges, Status& error);
  BucketOutcome ListRange(const store::ListingRange& range, Status& error);
  BucketOutcome ListObjects(const store::ListingRange& range, Status& error);
  BucketOutcome ListVersions(const store::ListingRange& range, Status& error);
  // A range of another lister split for this one; nullopt when none can be.
  std::optional<ListingJob> SplitOne();
  struct SplitAttempt {
    std::optional<ListingJob> job;  // split: this lister lists the part above the key
    bool refused = false;           // the range moved meanwhile: try it again as it is now
    bool stop = false;              // the run stopped
  };
  SplitAttempt TrySplit(const store::ListingRange& range);
  bool SendPage(const std::string& bucket, store::ListingPage page);

  Status RepeatedPosition(const std::string& bucket, const std::string& operation, int64_t pages) const;
  Status WentBack(const std::string& bucket, const std::string& operation, const std::string& key) const;
  Status TruncatedWithoutToken(const std::string& bucket, const std::string& operation) const;
  // True when this position was seen before in this listing (64-bit hash
  // per page: 8 bytes per 1,000 objects listed).
  bool Repeated(const std::string& position) {
    return !seen_positions_.insert(std::hash<std::string>{}(position)).second;
  }

  s3::ObjectStore& objects_;
  const ScanOptions& options_;
  MessageQueue& queue_;
  JobBoard& board_;
  ListingWriter& writer_;
  std::unordered_set<size_t> seen_positions_;  // of the range being listed
  bool listed_ = false;   // the job being run listed a range
  std::string last_key_;  // last key of the previous page (resumes start from the recorded one)
};

}  // namespace s3m::scan
