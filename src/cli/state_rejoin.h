// A worker's PostgreSQL state lost under its run (docs/design/scale-out.md,
// "Losing the database"): the session ended (a restart, a failover, a cut
// link) or a transaction failed for another's sake (deadlock). The run has
// stopped as for a fatal error, every thread of it joined; migrate and scan
// then reconnect and go on as a new worker, as a restarted process would.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "cli/context.h"
#include "core/status.h"
#include "store/state_store.h"

namespace s3m::cli {

using StatePtr = std::unique_ptr<store::StateStore>;

// Whether a run that ended with `cause` is rejoined: the PostgreSQL state
// lost under it (kStateLost: store::PgErrorKind), state_reconnect_timeout
// above 0, the user not waiting for a stop.
bool ShouldRejoin(const Status& cause, CommandContext& ctx);

// Closes `lost` (its sessions, advisory lock and claims are gone), then
// calls `open` every 0.25 s, doubling to 4 s, until it succeeds or
// state_reconnect_timeout passes (credentials refused: at once). On success
// `retire` runs on the new state: the stopped run's worker row is marked
// stopped or removed, its claims free at once instead of after its lease
// (safe: nothing of that run is left running).
Result<StatePtr> Rejoin(CommandContext& ctx, StatePtr lost, const Status& cause,
                        const std::function<Result<StatePtr>()>& open,
                        const std::function<Status(store::StateStore&)>& retire);

}  // namespace s3m::cli
