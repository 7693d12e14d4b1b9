// What S3 knew about an object beside its bytes and mtime, kept when S3 is
// emptied (issue 21): in the state database (files.content_type,
// user_metadata, headers, tags, checksums, sse_type), in the bucket's
// manifest, and on the file as extended attributes.
//
// The attributes, all in the "user." namespace (the one unprivileged
// processes may write), values as S3 sent them:
//
//   user.s3.etag                  7ea9d6b395dc51c08234eeae136553aa
//   user.s3.version-id            3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY  (versioned buckets)
//   user.s3.storage-class         STANDARD
//   user.s3.content-type          image/jpeg
//   user.s3.content-encoding      gzip               (and content-language,
//   user.s3.cache-control         max-age=3600        content-disposition,
//                                                     expires, when set)
//   user.s3.sse                   AES256 | aws:kms | aws:kms:dsse | SSE-C
//   user.s3.checksum.crc32c       yZRlqg==            (one per checksum S3 gave)
//   user.s3.checksum-type         FULL_OBJECT | COMPOSITE
//   user.s3.meta.<name>           x-amz-meta-<name>, name lower case
//   user.s3.tag.<key>             the tag's value
//
// `getfattr -d -m '^user\.s3\.' FILE` lists them.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "s3/types.h"

namespace s3m::engine {

using NamedValues = std::vector<std::pair<std::string, std::string>>;

struct KeptMetadata {
  std::string etag;
  std::string version_id;
  std::string storage_class;
  std::string content_type;
  NamedValues headers;  // Content-Encoding, Content-Language, Content-Disposition, Cache-Control, Expires
  std::map<std::string, std::string> user;       // x-amz-meta-*, names lower case
  s3::ObjectTags tags;                           // filled by GetObjectTagging
  std::map<std::string, std::string> checksums;  // "CRC32C" -> base64
  std::string checksum_type;
  std::string sse_type;  // "AES256", "aws:kms", "aws:kms:dsse", "SSE-C" or ""
  int tag_count = 0;     // what HEAD/GET announced; tags are asked for only then
};

// From the headers of a GET or HEAD (tags not included: see tag_count).
KeptMetadata KeptFrom(const s3::ObjectMetadata& meta);

// The database's JSON columns: {"name": "value", ...} in the order given, or
// "" when there is nothing (NULL in the database). Invalid UTF-8 becomes
// U+FFFD: header values are bytes, JSON text is not.
std::string JsonObjectOf(const NamedValues& values);
std::string JsonObjectOf(const std::map<std::string, std::string>& values);

// The extended attributes for the file (see above), in a stable order.
NamedValues ExtendedAttributes(const KeptMetadata& kept);

}  // namespace s3m::engine
