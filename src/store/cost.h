// What finishing the migration of the recorded objects will cost on AWS, from
// the status aggregates and a price table (PRODUCT.md §4: restores per tier,
// requests, data transfer out, early-deletion charges).
//
// Default prices: AWS's public list prices for US East (N. Virginia), as
// published on https://aws.amazon.com/s3/pricing/ and restated in AWS
// re:Post "How do I manage data retrieval costs for S3 Glacier Flexible
// Retrieval / Deep Archive" (https://repost.aws/knowledge-center/s3-manage-data-retrieval:
// Standard $0.05 per 1,000 requests + $0.01/GB, Expedited $10 per 1,000 +
// $0.03/GB) and in third-party summaries of that page dated May/June 2026
// (usage.ai "Glacier and Deep Archive pricing", awsnegotiations.com "Glacier
// vs Glacier Deep Archive", usage.ai "S3 egress cost"), looked up 2026-11-24.
// Every value can be overridden in the config file's [prices] table; other
// regions and negotiated discounts differ.
//
// Simplifications, stated in `status` output: GB = 2^30 bytes as AWS bills;
// data transfer at the first tier's rate (no 100 GB monthly free allowance,
// no volume tiers); early deletion counted from LastModified (an object moved
// to Glacier by a lifecycle rule entered it later, so its real charge is
// higher); Intelligent-Tiering restores are free at the Standard tier.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/state_store.h"

namespace s3m::store {

struct PriceTable {
  // S3 Glacier Flexible Retrieval ("GLACIER") restores.
  double glacier_expedited_per_gb = 0.03;
  double glacier_expedited_per_1000 = 10.00;
  double glacier_standard_per_gb = 0.01;
  double glacier_standard_per_1000 = 0.05;
  double glacier_bulk_per_gb = 0.00;    // free since late 2023
  double glacier_bulk_per_1000 = 0.00;
  // S3 Glacier Deep Archive restores (no Expedited tier).
  double deep_archive_standard_per_gb = 0.02;
  double deep_archive_standard_per_1000 = 0.10;
  double deep_archive_bulk_per_gb = 0.0025;
  double deep_archive_bulk_per_1000 = 0.025;
  // Requests (S3 Standard rates; DELETE is free).
  double get_per_1000 = 0.0004;   // GET and HEAD
  double list_per_1000 = 0.005;   // LIST (like PUT/COPY/POST)
  // Data transfer out to the internet, first 10 TB/month tier.
  double transfer_out_per_gb = 0.09;
  // Storage, for the pro-rated early-deletion charge.
  double glacier_storage_per_gb_month = 0.0036;
  double deep_archive_storage_per_gb_month = 0.00099;
};

// The table's keys as the config file and `status --json` spell them.
struct PriceField {
  const char* name;
  double PriceTable::*member;
};
const std::vector<PriceField>& PriceFields();

struct RestoreTierCost {
  std::string tier;          // "Expedited", "Standard", "Bulk"
  double glacier = 0;        // GLACIER objects at this tier
  double deep_archive = 0;   // DEEP_ARCHIVE objects (Expedited: priced as Standard)
  double total() const { return glacier + deep_archive; }
};

struct CostEstimate {
  Tally glacier_to_restore;       // discovered GLACIER objects
  Tally deep_archive_to_restore;  // discovered DEEP_ARCHIVE objects
  std::vector<RestoreTierCost> restore;  // Expedited, Standard, Bulk
  Tally to_download;              // objects still to fetch, and their bytes
  int64_t get_requests = 0;       // a HEAD plus ceil(size / chunk) GETs each
  int64_t list_requests = 0;      // one full rescan of what is recorded
  double requests = 0;
  double transfer_out = 0;
  Tally early_deletion_objects;   // archived objects younger than their minimum
  double early_deletion = 0;
  std::string configured_tier;    // settings' glacier_restore_tier
  double total = 0;               // with the configured tier
};

// What the migration has cost so far (`report`), at the same prices: the
// restores requested (by storage class and tier; Intelligent-Tiering's are
// free), a HEAD and the GETs of every object downloaded (verified or
// deleted), one listing of everything recorded, and the bytes downloaded.
struct CostSpent {
  Tally restored;
  double restores = 0;
  Tally downloaded;
  int64_t get_requests = 0;
  int64_t list_requests = 0;
  double requests = 0;
  double transfer_out = 0;
  double total = 0;
};
CostSpent EstimateSpent(const Summary& summary, const std::vector<RestoreSpent>& restores,
                        const PriceTable& prices);

CostEstimate EstimateCost(const Summary& summary, const PriceTable& prices,
                          const std::string& configured_tier);

}  // namespace s3m::store
