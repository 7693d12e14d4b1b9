// `s3migrate status [--by-bucket] [--json]`: what the state database says,
// computed with SQL aggregates (never loading rows): totals, files and bytes
// per state, archived objects needing a restore, restores in flight, what
// rescans found, and the estimated cost of finishing. Reads only; works
// while scan or migrate runs.
#pragma once

#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/context.h"
#include "core/clock.h"
#include "store/cost.h"
#include "store/state_store.h"

namespace s3m::cli {

struct StatusOptions {
  bool json = false;
  bool by_bucket = false;
};

CLI::App* AddStatusCommand(CLI::App& app, StatusOptions& options);
int RunStatusCommand(const StatusOptions& options, CommandContext& ctx);

// The figures `status` shows at `now`: the aggregates and the cost estimate.
struct StatusFigures {
  store::Summary summary;
  store::CostEstimate cost;
};
Result<StatusFigures> ComputeStatus(store::StateStore& state, const Settings& settings,
                                    Clock::WallTime now, bool by_bucket);

// The report, from figures already computed (pure, for tests).
std::string RenderStatusText(const std::string& database, const store::Summary& summary,
                             const store::CostEstimate& cost, bool by_bucket);
nlohmann::json RenderStatusJson(const std::string& database, const store::Summary& summary,
                                const store::CostEstimate& cost, const store::PriceTable& prices,
                                bool by_bucket, const std::string& generated_at);

}  // namespace s3m::cli
