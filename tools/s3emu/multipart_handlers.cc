// Multipart uploads: Create, UploadPart, Complete, Abort, ListParts.
//
// ETag of the result (S3 User Guide, "Checking object integrity", multipart
// ETags): hex MD5 of the concatenated binary MD5s of the parts, "-" and the
// number of parts. Additional checksums
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html):
//   COMPOSITE    the algorithm over the concatenated binary part checksums,
//                base64, "-N" (CRC32, CRC32C, SHA1, SHA256)
//   FULL_OBJECT  the algorithm over the whole object (CRC32, CRC32C, CRC64NVME)
// CRC64NVME defaults to FULL_OBJECT, the others to COMPOSITE.
#include <pugixml.hpp>

#include <cstdlib>

#include "core/hash.h"
#include "s3emu/server.h"
#include "s3emu/xml_out.h"

namespace s3emu {

using s3m::ChecksumAlgorithm;

namespace {

ErrorOr<Done> ValidateChecksumType(ChecksumAlgorithm algorithm, const std::string& type) {
  const bool sha = algorithm == ChecksumAlgorithm::kSha1 || algorithm == ChecksumAlgorithm::kSha256;
  if (type != "FULL_OBJECT" && type != "COMPOSITE") {
    return InvalidRequest("Value for x-amz-checksum-type header is invalid.");
  }
  if (sha && type == "FULL_OBJECT") {
    return InvalidRequest("The FULL_OBJECT checksum type cannot be used with the " +
                          std::string(s3m::ChecksumAlgorithmName(algorithm)) + " checksum algorithm.");
  }
  if (algorithm == ChecksumAlgorithm::kCrc64Nvme && type == "COMPOSITE") {
    return InvalidRequest("The COMPOSITE checksum type cannot be used with the CRC64NVME checksum algorithm.");
  }
  return Done{};
}

ErrorOr<int> ParsePartNumber(const std::string& text) {
  char* end = nullptr;
  const long n = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || n < 1 || n > 10000) {
    return InvalidArgument("Part number must be an integer between 1 and 10000, inclusive")
        .With("ArgumentName", "partNumber")
        .With("ArgumentValue", text);
  }
  return static_cast<int>(n);
}

void AddSseResponseHeaders(httplib::Response& res, const ObjectVersion& v) {
  if (!v.sse.empty()) res.set_header("x-amz-server-side-encryption", v.sse);
  if (!v.sse_kms_key_id.empty()) res.set_header("x-amz-server-side-encryption-aws-kms-key-id", v.sse_kms_key_id);
  if (!v.sse_c_algorithm.empty()) {
    res.set_header("x-amz-server-side-encryption-customer-algorithm", v.sse_c_algorithm);
    res.set_header("x-amz-server-side-encryption-customer-key-MD5", v.sse_c_key_md5);
  }
}

S3Error InvalidPart(int number) {
  return MakeError(400, "InvalidPart",
                   "One or more of the specified parts could not be found.  The part may not have been "
                   "uploaded, or the specified entity tag may not match the part's entity tag.")
      .With("PartNumber", std::to_string(number));
}

}  // namespace

// CreateMultipartUpload: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
void Emulator::CreateMultipartUpload(Call& call) {
  auto bucket = store_.FindBucket(call.bucket);
  if (!bucket) return SendError(call, NoSuchBucket(call.bucket));
  auto object = ObjectTemplateFromHeaders(call, bucket->region);
  if (!object.ok()) return SendError(call, object.error());
  ObjectVersion v = std::move(object).value();
  std::string algorithm_name = call.Header("x-amz-checksum-algorithm");
  std::string type = call.Header("x-amz-checksum-type");
  if (algorithm_name.empty() && !options_.default_checksum.empty() && type.empty()) {
    algorithm_name = options_.default_checksum;
  }
  if (!algorithm_name.empty()) {
    auto algorithm = s3m::ParseChecksumAlgorithm(algorithm_name);
    if (!algorithm) {
      return SendError(call, InvalidRequest("Checksum algorithm provided is unsupported. Please try again with "
                                            "any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"));
    }
    if (type.empty()) type = *algorithm == ChecksumAlgorithm::kCrc64Nvme ? "FULL_OBJECT" : "COMPOSITE";
    auto valid = ValidateChecksumType(*algorithm, type);
    if (!valid.ok()) return SendError(call, valid.error());
    v.checksum_algorithm = std::string(s3m::ChecksumAlgorithmName(*algorithm));
    v.checksum_type = type;
  } else if (!type.empty()) {
    return SendError(call, InvalidRequest("The x-amz-checksum-type header can only be used with the "
                                          "x-amz-checksum-algorithm header."));
  }
  auto upload_id = store_.CreateUpload(call.bucket, call.key, v);
  if (!upload_id.ok()) return SendError(call, upload_id.error());
  AddSseResponseHeaders(call.res, v);
  if (!v.checksum_algorithm.empty()) {
    call.res.set_header("x-amz-checksum-algorithm", v.checksum_algorithm);
    call.res.set_header("x-amz-checksum-type", v.checksum_type);
  }
  XmlWriter w("InitiateMultipartUploadResult");
  w.Element("Bucket", call.bucket).Element("Key", call.key).Element("UploadId", upload_id.value());
  SendXml(call, 200, w.Finish());
}

// UploadPart: https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
void Emulator::UploadPart(Call& call) {
  auto number = ParsePartNumber(call.QueryValue("partNumber"));
  if (!number.ok()) return SendError(call, number.error());
  auto upload = store_.GetUpload(call.QueryValue("uploadId"), call.bucket, call.key);
  if (!upload.ok()) return SendError(call, upload.error());
  const ObjectVersion& tmpl = upload->object;
  auto claim = ParseChecksumClaim(call);
  if (!claim.ok()) return SendError(call, claim.error());
  std::optional<ChecksumAlgorithm> algorithm;
  if (!tmpl.checksum_algorithm.empty()) algorithm = s3m::ParseChecksumAlgorithm(tmpl.checksum_algorithm);
  if (claim->algorithm && claim->algorithm != algorithm) {
    return SendError(call, InvalidRequest("Checksum Type mismatch occurred, expected checksum Type: " +
                                          (tmpl.checksum_algorithm.empty() ? std::string("null") : tmpl.checksum_algorithm) +
                                          ", actual checksum Type: " +
                                          std::string(s3m::ChecksumAlgorithmName(*claim->algorithm))));
  }
  if (!tmpl.sse_c_algorithm.empty() &&
      call.Header("x-amz-server-side-encryption-customer-key-MD5") != tmpl.sse_c_key_md5) {
    return SendError(call, InvalidRequest("The SSE-C key of this part does not match the key of the upload."));
  }
  auto body = ReceiveToFile(call, algorithm);
  if (!body.ok()) return SendError(call, body.error());
  if (auto bad = CheckChecksumClaim(claim.value(), body->checksum)) return SendError(call, *bad);
  PartInfo part;
  part.number = number.value();
  part.size = body->size;
  part.etag = EtagFor(tmpl, body->md5);
  part.checksum = body->checksum;
  auto stored = store_.PutPart(upload->upload_id, part, std::move(body->file));
  if (!stored.ok()) return SendError(call, stored.error());
  call.res.set_header("ETag", Quote(part.etag));
  AddSseResponseHeaders(call.res, tmpl);
  if (algorithm) call.res.set_header(s3m::ChecksumHeaderName(*algorithm), part.checksum);
  SendEmpty(call, 200);
}

// CompleteMultipartUpload: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
//   <CompleteMultipartUpload>
//     <Part><PartNumber>1</PartNumber><ETag>"a54357aff0632cce46d942af68356b38"</ETag>
//           <ChecksumCRC32>xyz=</ChecksumCRC32></Part>
//   </CompleteMultipartUpload>
// Errors: InvalidPart, InvalidPartOrder, EntityTooSmall (every part but the
// last below --min-part-size), BadDigest for a wrong full-object checksum.
void Emulator::CompleteMultipartUpload(Call& call) {
  auto upload = store_.GetUpload(call.QueryValue("uploadId"), call.bucket, call.key);
  if (!upload.ok()) return SendError(call, upload.error());
  auto body = ReceiveSmallBody(call, 4 << 20);
  if (!body.ok()) return SendError(call, body.error());
  pugi::xml_document doc;
  if (!doc.load_buffer(body->data(), body->size())) return SendError(call, MalformedXml());
  pugi::xml_node root = doc.child("CompleteMultipartUpload");
  if (!root) return SendError(call, MalformedXml());
  auto stored_parts = store_.ListParts(upload->upload_id);
  if (!stored_parts.ok()) return SendError(call, stored_parts.error());
  std::map<int, PartInfo> by_number;
  for (const auto& p : stored_parts.value()) by_number[p.number] = p;

  const ObjectVersion& tmpl = upload->object;
  const std::string checksum_element = tmpl.checksum_algorithm.empty() ? "" : "Checksum" + tmpl.checksum_algorithm;
  std::vector<PartInfo> parts;
  int previous = 0;
  for (pugi::xml_node node : root.children("Part")) {
    const int number = node.child("PartNumber").text().as_int();
    if (number <= previous) {
      return SendError(call, MakeError(400, "InvalidPartOrder",
                                       "The list of parts was not in ascending order. The parts list must be "
                                       "specified in order by part number."));
    }
    previous = number;
    auto it = by_number.find(number);
    if (it == by_number.end() || StripEtag(node.child("ETag").text().get()) != it->second.etag) {
      return SendError(call, InvalidPart(number));
    }
    if (!checksum_element.empty()) {
      const std::string given = node.child(checksum_element.c_str()).text().get();
      if (!given.empty() && given != it->second.checksum) return SendError(call, InvalidPart(number));
    }
    parts.push_back(it->second);
  }
  if (parts.empty()) return SendError(call, MalformedXml());
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i].size < options_.min_part_size) {
      return SendError(call, MakeError(400, "EntityTooSmall",
                                       "Your proposed upload is smaller than the minimum allowed object size.")
                                 .With("ProposedSize", std::to_string(parts[i].size))
                                 .With("MinSizeAllowed", std::to_string(options_.min_part_size))
                                 .With("PartNumber", std::to_string(parts[i].number)));
    }
  }

  ObjectVersion v = tmpl;
  v.bucket = call.bucket;
  v.key = call.key;
  std::string md5s;
  std::string checksums;
  for (const auto& p : parts) {
    std::string raw;
    s3m::HexDecode(p.etag, &raw);
    md5s += raw;
    std::string sum;
    s3m::Base64Decode(p.checksum, &sum);
    checksums += sum;
    v.size += p.size;
  }
  const std::string count = std::to_string(parts.size());
  v.etag = s3m::HexEncode(s3m::Md5(md5s)) + "-" + count;
  std::optional<ChecksumAlgorithm> algorithm;
  if (!tmpl.checksum_algorithm.empty()) algorithm = s3m::ParseChecksumAlgorithm(tmpl.checksum_algorithm);
  std::optional<s3m::Checksummer> full;
  if (algorithm && tmpl.checksum_type == "FULL_OBJECT") full.emplace(*algorithm);

  // Assemble the parts into one body (outside any lock).
  auto writer = AtomicFileWriter::Create(store_.tmp_dir(), store_.fsync());
  if (!writer.ok()) return SendError(call, InternalError(writer.status().message()));
  auto out = std::move(writer).value();
  std::string buffer(1 << 20, '\0');
  for (const auto& p : parts) {
    auto source = store_.OpenPart(upload->upload_id, p.number);
    if (!source.ok()) return SendError(call, source.error());
    uint64_t offset = 0;
    while (offset < p.size) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(buffer.size(), p.size - offset));
      if (s3m::Status st = source.value()->Read(offset, buffer.data(), n); !st.ok()) {
        return SendError(call, InternalError(st.message()));
      }
      if (full) full->Update(buffer.data(), n);
      if (s3m::Status st = out->Append(buffer.data(), n); !st.ok()) return SendError(call, InternalError(st.message()));
      offset += n;
    }
  }
  if (algorithm) {
    v.checksum_value = full ? full->FinishBase64() : [&] {
      s3m::Checksummer composite(*algorithm);
      composite.Update(checksums);
      return composite.FinishBase64() + "-" + count;
    }();
    // A full-object checksum sent with Complete must match the assembled object.
    const std::string given = call.Header(s3m::ChecksumHeaderName(*algorithm));
    if (!given.empty() && given != v.checksum_value) {
      return SendError(call, MakeError(400, "BadDigest",
                                       "The " + tmpl.checksum_algorithm + " you specified did not match the "
                                       "calculated checksum."));
    }
  }
  v.parts = parts;
  for (size_t i = 0; i < v.parts.size(); ++i) v.parts[i].number = static_cast<int>(i + 1);
  v.last_modified_ms = NowMs();
  auto stored = store_.CompleteUpload(upload->upload_id, std::move(v), std::move(out));
  if (!stored.ok()) return SendError(call, stored.error());
  auto bucket = store_.FindBucket(call.bucket);
  if (bucket && !bucket->versioning.empty()) call.res.set_header("x-amz-version-id", stored->version_id);
  AddSseResponseHeaders(call.res, stored.value());
  XmlWriter w("CompleteMultipartUploadResult");
  w.Element("Location", "/" + call.bucket + "/" + call.key)
      .Element("Bucket", call.bucket)
      .Element("Key", call.key)
      .Element("ETag", Quote(stored->etag));
  if (!stored->checksum_algorithm.empty()) {
    w.Element("Checksum" + stored->checksum_algorithm, stored->checksum_value);
    w.Element("ChecksumType", stored->checksum_type);
  }
  SendXml(call, 200, w.Finish());
}

// AbortMultipartUpload: https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html
void Emulator::AbortMultipartUpload(Call& call) {
  auto upload = store_.GetUpload(call.QueryValue("uploadId"), call.bucket, call.key);
  if (!upload.ok()) return SendError(call, upload.error());
  auto aborted = store_.AbortUpload(upload->upload_id);
  if (!aborted.ok()) return SendError(call, aborted.error());
  SendEmpty(call, 204);
}

// ListParts: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html (one page).
void Emulator::ListParts(Call& call) {
  auto upload = store_.GetUpload(call.QueryValue("uploadId"), call.bucket, call.key);
  if (!upload.ok()) return SendError(call, upload.error());
  auto parts = store_.ListParts(upload->upload_id);
  if (!parts.ok()) return SendError(call, parts.error());
  XmlWriter w("ListPartsResult");
  w.Element("Bucket", call.bucket).Element("Key", call.key).Element("UploadId", upload->upload_id);
  w.Element("StorageClass", upload->object.storage_class).Bool("IsTruncated", false);
  for (const auto& p : parts.value()) {
    w.Open("Part").Element("PartNumber", static_cast<uint64_t>(p.number)).Element("ETag", Quote(p.etag));
    w.Element("Size", p.size);
    if (!p.checksum.empty()) w.Element("Checksum" + upload->object.checksum_algorithm, p.checksum);
    w.Close("Part");
  }
  SendXml(call, 200, w.Finish());
}

}  // namespace s3emu
