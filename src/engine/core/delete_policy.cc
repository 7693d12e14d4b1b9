#include "engine/core/delete_policy.h"

namespace s3m::engine {

std::optional<std::string> DeletePolicy::Refusal(const DeleteRequest& request) const {
  if (options_.keep_source) return "--keep-source: the object stays in S3";
  if (request.size_only && !options_.allow_size_only) {
    return "verified by size only: kept in S3 unless --delete-size-only-verified";
  }
  return std::nullopt;
}

}  // namespace s3m::engine
