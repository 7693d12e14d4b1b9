#include "cli/state_rejoin.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "core/logging.h"
#include "store/postgres.h"

namespace s3m::cli {

bool ShouldRejoin(const Status& cause, CommandContext& ctx) {
  return cause.kind() == ErrorKind::kStateLost && store::IsPostgresUri(ctx.settings().state_db) &&
         ctx.settings().state_reconnect_timeout > 0 && !ctx.cancelled().load();
}

Result<StatePtr> Rejoin(CommandContext& ctx, StatePtr lost, const Status& cause,
                        const std::function<Result<StatePtr>()>& open,
                        const std::function<Status(store::StateStore&)>& retire) {
  const int timeout = ctx.settings().state_reconnect_timeout;
  S3M_LOG_WARN("lost the PostgreSQL state ({}); rejoining as a new worker once it answers (trying for {} s)",
               cause.ToString(), timeout);
  lost.reset();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
  auto delay = std::chrono::milliseconds(250);
  for (;;) {
    Result<StatePtr> state = open();
    if (state.ok()) {
      if (Status retired = retire(**state); !retired.ok()) state = retired;
    }
    if (state.ok()) {
      S3M_LOG_WARN("reconnected to the PostgreSQL state; going on as a new worker");
      return state;
    }
    const ErrorKind kind = state.status().kind();
    if (kind == ErrorKind::kAuth || kind == ErrorKind::kInvalidArgument) return state.status();
    if (std::chrono::steady_clock::now() + delay > deadline) {
      return Status::Error(ErrorKind::kFatal,
                           fmt::format("could not reconnect to the PostgreSQL state within {} s (last: {}); "
                                       "nothing is lost: run the command again once the database answers",
                                       timeout, state.status().ToString()));
    }
    for (auto slept = std::chrono::milliseconds(0); slept < delay; slept += std::chrono::milliseconds(50)) {
      if (ctx.cancelled().load()) return Status::Error(ErrorKind::kCancelled, "interrupted while reconnecting");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    delay = std::min(delay * 2, std::chrono::milliseconds(4000));
  }
}

}  // namespace s3m::cli
