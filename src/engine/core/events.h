// What the decision core hears: every event a runner reports (the coordinator
// thread collects them from the workers and hands them to Coordinator::Step).
// Each carries what the core needs to decide without asking anyone: the work
// item it was about, as the core handed it out.
#pragma once

#include <variant>
#include <vector>

#include "engine/delete_gate.h"
#include "engine/download.h"
#include "engine/restore.h"
#include "store/migration_store.h"

namespace s3m::engine {

// A range of a large download was written and fsynced (download.h): from now
// on a resumed download may trust it.
struct RangeDone {
  int64_t id = 0;
  ByteSpan span;
};

// A download's transfer is over and its file sealed (download.h): it waits
// for the publisher, whose DownloadOutcome follows. From now on it holds no
// transfer slot; its row stays `downloading` until that outcome.
struct Sealed {
  int64_t id = 0;
};

// The answer to a RestoreJob (was_request) or a RestoreCheck.
struct RestoreAnswered {
  RestoreOutcome outcome;
  bool was_request = false;
  store::WorkItem item;
};

// The gate's outcomes for one DeleteBatch, one per request, in order.
struct DeleteAnswered {
  std::vector<DeleteOutcome> outcomes;
  std::vector<DeleteRequest> requests;
};

// DownloadOutcome (download.h) is the transfer pool's event as it stands.
using Event = std::variant<DownloadOutcome, Sealed, RangeDone, RestoreAnswered, DeleteAnswered>;

}  // namespace s3m::engine
