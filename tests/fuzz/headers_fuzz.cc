// The parsers of S3 reply headers on arbitrary text: x-amz-restore, HTTP
// dates, ETags (plain and multipart "-N"), additional checksums (through the
// verification plan they choose), and a whole reply's metadata
// (ParseObjectMetadata over "name: value" lines). None may crash; a multipart
// ETag that parses has a part count in S3's range (1 to 10,000).
#include <cstdint>

#include "core/time_format.h"
#include "engine/verifier.h"
#include "fuzz_input.h"
#include "s3/client.h"
#include "s3/xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = s3m::fuzz::AsText(data, size);
  (void)s3m::s3::ParseRestoreHeader(text);
  (void)s3m::ParseHttpDate(text);
  (void)s3m::ParseIso8601(text);
  if (auto etag = s3m::engine::ParseEtag(text)) {
    s3m::fuzz::Check(etag->part_count >= 0 && etag->part_count <= 10000,
                     "a multipart ETag has at most 10,000 parts", text);
  }
  // The verification plan for an object whose ETag and checksums are this
  // text: always one plan, and a per-part plan's layout sums to the size.
  s3m::engine::ObjectFacts facts;
  facts.size = size * 1000003;
  facts.etag = std::string(text);
  facts.checksums = {{"CRC32C", std::string(text)}, {"SHA256", std::string(text)}};
  facts.checksum_type = size % 2 ? "COMPOSITE" : "FULL_OBJECT";
  const s3m::engine::VerificationPlan plan = s3m::engine::ChooseVerification(facts);
  uint64_t total = 0;
  for (uint64_t part : plan.part_sizes) total += part;
  s3m::fuzz::Check(plan.part_sizes.empty() || total == facts.size,
                   "a known part layout covers the object exactly", text);
  s3m::s3::HttpResponse response;
  response.status = 200;
  for (std::string_view line : s3m::fuzz::Split(text, '\n')) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
  }
  (void)s3m::s3::ParseObjectMetadata(response);
  return 0;
}
