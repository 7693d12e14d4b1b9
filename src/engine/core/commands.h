// What the decision core asks the runners to do. A step's commands may run
// only after the transaction holding that step's state changes committed
// (PRODUCT.md §5.1): a download starts from a committed `downloading` row, a
// delete batch only ever holds objects whose `verified` row is durable.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "engine/atomic_file.h"
#include "engine/delete_scheduler.h"
#include "engine/download.h"
#include "engine/restore.h"
#include "store/migration_store.h"

namespace s3m::engine {

// Download `item` to `path`. `resumed`: the partial file of an earlier run,
// reopened, with `done` its recorded, synced ranges.
struct DownloadJob {
  store::WorkItem item;
  std::string path;
  bool pin_with_if_match = true;
  std::unique_ptr<AtomicFile> resumed;
  std::vector<ByteSpan> done;
};

// RestoreObject for `item`, not before `not_before` (the request rate limit).
struct RestoreJob {
  store::WorkItem item;
  Clock::MonoTime not_before{};
  RestoreSettings settings;
};

// HeadObject: where `item`'s restore stands.
struct RestoreCheck {
  store::WorkItem item;
  bool pin_with_if_match = true;
};

struct Commands {
  std::vector<DownloadJob> downloads;
  std::vector<RestoreJob> restores;
  std::vector<RestoreCheck> checks;
  std::vector<DeleteBatch> deletes;
  // Not a command but a duty of the same step: the rows it moved to
  // 'deleted'. Their manifest lines are made durable before the step
  // commits, so no committed 'deleted' row lacks its line (manifest.h).
  std::vector<int64_t> deleted;

  bool empty() const {
    return downloads.empty() && restores.empty() && checks.empty() && deletes.empty();
  }
};

}  // namespace s3m::engine
