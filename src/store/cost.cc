#include "store/cost.h"

namespace s3m::store {

namespace {

constexpr double kBytesPerGb = 1024.0 * 1024.0 * 1024.0;
constexpr double kDaysPerMonth = 30.0;

double Gb(int64_t bytes) { return static_cast<double>(bytes) / kBytesPerGb; }
double Thousands(int64_t n) { return static_cast<double>(n) / 1000.0; }

double RestoreCost(const Tally& t, double per_gb, double per_1000) {
  return Gb(t.bytes) * per_gb + Thousands(t.files) * per_1000;
}

}  // namespace

const std::vector<PriceField>& PriceFields() {
  static const std::vector<PriceField> kFields = {
      {"glacier_expedited_per_gb", &PriceTable::glacier_expedited_per_gb},
      {"glacier_expedited_per_1000", &PriceTable::glacier_expedited_per_1000},
      {"glacier_standard_per_gb", &PriceTable::glacier_standard_per_gb},
      {"glacier_standard_per_1000", &PriceTable::glacier_standard_per_1000},
      {"glacier_bulk_per_gb", &PriceTable::glacier_bulk_per_gb},
      {"glacier_bulk_per_1000", &PriceTable::glacier_bulk_per_1000},
      {"deep_archive_standard_per_gb", &PriceTable::deep_archive_standard_per_gb},
      {"deep_archive_standard_per_1000", &PriceTable::deep_archive_standard_per_1000},
      {"deep_archive_bulk_per_gb", &PriceTable::deep_archive_bulk_per_gb},
      {"deep_archive_bulk_per_1000", &PriceTable::deep_archive_bulk_per_1000},
      {"get_per_1000", &PriceTable::get_per_1000},
      {"list_per_1000", &PriceTable::list_per_1000},
      {"transfer_out_per_gb", &PriceTable::transfer_out_per_gb},
      {"glacier_storage_per_gb_month", &PriceTable::glacier_storage_per_gb_month},
      {"deep_archive_storage_per_gb_month", &PriceTable::deep_archive_storage_per_gb_month},
  };
  return kFields;
}

CostSpent EstimateSpent(const Summary& summary, const std::vector<RestoreSpent>& restores,
                        const PriceTable& p) {
  CostSpent c;
  int64_t recorded = 0;
  for (const StateClassTally& g : summary.groups) {
    recorded += g.tally.files;
    if (g.state == FileState::kVerified || g.state == FileState::kDeleted) {
      c.downloaded.Add(g.tally.files, g.tally.bytes);
      c.get_requests += g.tally.files + g.get_requests;
    }
  }
  c.list_requests = (recorded + 999) / 1000;
  for (const RestoreSpent& r : restores) {
    c.restored.Add(r.tally.files, r.tally.bytes);
    const bool deep = r.storage_class == "DEEP_ARCHIVE";
    if (r.storage_class != "GLACIER" && !deep) continue;  // Intelligent-Tiering: free
    if (r.tier == "Bulk") {
      c.restores += deep ? RestoreCost(r.tally, p.deep_archive_bulk_per_gb, p.deep_archive_bulk_per_1000)
                         : RestoreCost(r.tally, p.glacier_bulk_per_gb, p.glacier_bulk_per_1000);
    } else if (r.tier == "Expedited" && !deep) {
      c.restores += RestoreCost(r.tally, p.glacier_expedited_per_gb, p.glacier_expedited_per_1000);
    } else {
      c.restores += deep ? RestoreCost(r.tally, p.deep_archive_standard_per_gb, p.deep_archive_standard_per_1000)
                         : RestoreCost(r.tally, p.glacier_standard_per_gb, p.glacier_standard_per_1000);
    }
  }
  c.requests = Thousands(c.get_requests) * p.get_per_1000 + Thousands(c.list_requests) * p.list_per_1000;
  c.transfer_out = Gb(c.downloaded.bytes) * p.transfer_out_per_gb;
  c.total = c.restores + c.requests + c.transfer_out;
  return c;
}

CostEstimate EstimateCost(const Summary& summary, const PriceTable& p,
                          const std::string& configured_tier) {
  CostEstimate e;
  e.configured_tier = configured_tier;
  Tally all;
  for (const StateClassTally& g : summary.groups) {
    all.Add(g.tally.files, g.tally.bytes);
    const bool still_in_s3_undownloaded =
        g.state == FileState::kDiscovered || g.state == FileState::kDownloading ||
        g.state == FileState::kGlacierRestoreRequested ||
        g.state == FileState::kGlacierRestoring || g.state == FileState::kError;
    if (still_in_s3_undownloaded) {
      e.to_download.Add(g.tally.files, g.tally.bytes);
      e.get_requests += g.tally.files + g.get_requests;  // a HEAD, then the GETs
    }
    if (g.state == FileState::kDiscovered && g.storage_class == "GLACIER") {
      e.glacier_to_restore.Add(g.tally.files, g.tally.bytes);
    }
    if (g.state == FileState::kDiscovered && g.storage_class == "DEEP_ARCHIVE") {
      e.deep_archive_to_restore.Add(g.tally.files, g.tally.bytes);
    }
  }
  // Objects gone from S3 will not be fetched.
  e.to_download.files -= summary.gone_before_download.files;
  e.to_download.bytes -= summary.gone_before_download.bytes;
  e.get_requests -= 2 * summary.gone_before_download.files;
  if (e.get_requests < 0) e.get_requests = 0;
  e.list_requests = (all.files + 999) / 1000;

  const Tally& g = e.glacier_to_restore;
  const Tally& d = e.deep_archive_to_restore;
  // Deep Archive has no Expedited tier: the engine uses Standard and says so.
  const double deep_standard =
      RestoreCost(d, p.deep_archive_standard_per_gb, p.deep_archive_standard_per_1000);
  e.restore = {
      {"Expedited", RestoreCost(g, p.glacier_expedited_per_gb, p.glacier_expedited_per_1000),
       deep_standard},
      {"Standard", RestoreCost(g, p.glacier_standard_per_gb, p.glacier_standard_per_1000),
       deep_standard},
      {"Bulk", RestoreCost(g, p.glacier_bulk_per_gb, p.glacier_bulk_per_1000),
       RestoreCost(d, p.deep_archive_bulk_per_gb, p.deep_archive_bulk_per_1000)},
  };
  e.requests = Thousands(e.get_requests) * p.get_per_1000 + Thousands(e.list_requests) * p.list_per_1000;
  e.transfer_out = Gb(e.to_download.bytes) * p.transfer_out_per_gb;

  for (const EarlyDeletionTally& t : summary.early_deletion) {
    const double price = t.storage_class == "GLACIER" ? p.glacier_storage_per_gb_month
                                                      : p.deep_archive_storage_per_gb_month;
    e.early_deletion_objects.Add(t.young_files, t.young_bytes);
    e.early_deletion += t.remaining_byte_days / kBytesPerGb / kDaysPerMonth * price;
  }

  double restore = 0;
  for (const RestoreTierCost& tier : e.restore) {
    if (tier.tier == configured_tier) restore = tier.total();
  }
  e.total = restore + e.requests + e.transfer_out + e.early_deletion;
  return e;
}

}  // namespace s3m::store
