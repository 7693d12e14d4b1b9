// `s3migrate report`: what moved, verified how, what stays in S3 and why,
// what it cost, and when — as JSON, and as one self-contained HTML file
// (inline style and SVG charts, no script, nothing fetched).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "store/cost.h"
#include "store/state_store.h"
#include "watch/watch_data.h"

namespace s3m::watch {

struct ReportData {
  WatchData watch;  // the status, samples, errors and restores
  store::ReportFigures figures;
  store::CostSpent spent;
};

// Why objects in `left` are still in S3 (or not migrated yet), in words.
std::string LeftReason(const store::LeftTally& left);

nlohmann::json ReportJson(const ReportData& data);
// The HTML is rendered from ReportJson's figures, so both say the same.
std::string ReportHtml(const ReportData& data);

}  // namespace s3m::watch
