// The XML bodies of the S3 API: parsers for the replies s3migrate reads and
// builders for the request bodies it sends. Every function here is pure and
// thread-safe (no shared state); the client does the I/O.
//
// Parser contract, common to every Parse* function below:
//   - The input is the whole response body. It is parsed with pugixml, never
//     searched as text.
//   - A body that is not well-formed XML, has the wrong root element, or lacks
//     an element s3migrate cannot work without gives a non-OK Status of kind
//     kTransient: a cut-off body is almost always a dropped connection, and a
//     retry fixes it. The message names the operation and what was wrong; the
//     context carries the operation name.
//   - A body whose root is <Error> where a result was expected (S3 may answer
//     200 OK and still fail, notably CompleteMultipartUpload) gives the error
//     it describes, with context.s3_code and context.request_id filled and its
//     kind chosen by the one S3 classifier (s3/errors.h ClassifyHttpError).
//   - Unknown elements are ignored, the xmlns attribute may be present or not
//     (and element prefixes such as <s3:Key> are tolerated), optional elements
//     may be missing.
//   - Element text is taken byte for byte: line ends are not normalised (a key
//     may contain CR), whitespace-only keys are kept, entities and character
//     references are decoded strictly (an unknown entity or &#0; is an error,
//     not literal text). A body containing a NUL byte is rejected.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time_format.h"
#include "s3/types.h"

namespace s3m::s3 {

// ---------------------------------------------------------------------------
// Parsers
// ---------------------------------------------------------------------------

// ListBuckets (GET /). Names are required; CreationDate is kept as sent;
// BucketRegion is filled when the server sends it (AWS does since 2024).
// ContinuationToken is ignored: s3migrate asks without max-buckets.
//
//   <ListAllMyBucketsResult>
//     <Buckets>
//       <Bucket>
//         <CreationDate>2019-12-11T23:32:47+00:00</CreationDate>
//         <Name>amzn-s3-demo-bucket</Name>
//       </Bucket>
//       <Bucket>
//         <CreationDate>2019-11-10T23:32:13+00:00</CreationDate>
//         <Name>amzn-s3-demo-bucket1</Name>
//       </Bucket>
//     </Buckets>
//     <Owner>
//       <DisplayName>Account+Name</DisplayName>
//       <ID>AIDACKCEVSQ6C2EXAMPLE</ID>
//     </Owner>
//   </ListAllMyBucketsResult>
Result<std::vector<BucketSummary>> ParseListBucketsResult(std::string_view xml);

// ListObjectsV2 (GET /?list-type=2).
//   - <EncodingType>url</EncodingType> means Key, Prefix, Delimiter, StartAfter
//     and CommonPrefixes/Prefix are percent-encoded ('+' is a space, as AWS
//     encodes them); they are decoded, and a bad escape is an error. Without
//     the element (s3rver 3.7.1 ignores encoding-type) the text is used as is.
//   - ETag loses its surrounding quotes (sent literally or as &quot;).
//   - StorageClass defaults to "STANDARD"; ChecksumAlgorithm may repeat.
//   - IsTruncated is required, and a truncated page must carry
//     NextContinuationToken: a listing whose completeness cannot be told is
//     never reported as a page (PRODUCT.md §5.7).
//   - Key and Size are required in every <Contents>.
//
//   <?xml version="1.0" encoding="UTF-8"?>
//   <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
//     <Name>example-bucket</Name>
//     <Prefix></Prefix>
//     <KeyCount>205</KeyCount>
//     <MaxKeys>1000</MaxKeys>
//     <IsTruncated>false</IsTruncated>
//     <Contents>
//       <Key>my-image.jpg</Key>
//       <LastModified>2009-10-12T17:50:30.000Z</LastModified>
//       <ETag>"fba9dede5f27731c9771645a39863328"</ETag>
//       <Size>434234</Size>
//       <StorageClass>STANDARD</StorageClass>
//     </Contents>
//   </ListBucketResult>
//
// With x-amz-optional-object-attributes: RestoreStatus, a <Contents> may hold
//       <RestoreStatus>
//         <IsRestoreInProgress>false</IsRestoreInProgress>
//         <RestoreExpiryDate>2012-12-21T00:00:00.000Z</RestoreExpiryDate>
//       </RestoreStatus>
// A RestoreStatus without IsRestoreInProgress (and without an expiry date) is
// left unset, so the caller asks HeadObject instead of guessing.
Result<ListObjectsV2Page> ParseListObjectsV2Result(std::string_view xml);

// ListObjectVersions (GET /?versions). <Version> and <DeleteMarker> entries
// come back interleaved in document order (the order S3 lists them: by key,
// newest version first). With EncodingType=url, Key, KeyMarker, NextKeyMarker,
// Prefix, Delimiter and CommonPrefixes/Prefix are decoded. Key and VersionId
// are required for every entry (the delete targets exactly that version);
// Size is required for a <Version>. A truncated page must carry NextKeyMarker.
//
//   <?xml version="1.0" encoding="UTF-8"?>
//   <ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
//     <Name>bucket</Name>
//     <Prefix>my</Prefix>
//     <KeyMarker/>
//     <VersionIdMarker/>
//     <MaxKeys>5</MaxKeys>
//     <IsTruncated>false</IsTruncated>
//     <Version>
//       <Key>my-image.jpg</Key>
//       <VersionId>3/L4kqtJl40Nr8X8gdRQBpUMLUo</VersionId>
//       <IsLatest>true</IsLatest>
//       <LastModified>2009-10-12T17:50:30.000Z</LastModified>
//       <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>
//       <Size>434234</Size>
//       <StorageClass>STANDARD</StorageClass>
//       <Owner>...</Owner>
//     </Version>
//     <DeleteMarker>
//       <Key>my-second-image.jpg</Key>
//       <VersionId>03jpff543dhffds434rfdsFDN943fdsFkdmqnh892</VersionId>
//       <IsLatest>true</IsLatest>
//       <LastModified>2009-11-12T17:50:30.000Z</LastModified>
//       <Owner>...</Owner>
//     </DeleteMarker>
//   </ListVersionsResult>
Result<ListObjectVersionsPage> ParseListObjectVersionsResult(std::string_view xml);

// DeleteObjects (POST /?delete). Every entry needs a Key. Keys are never
// URL-encoded in this reply. A per-object failure (e.g. PreconditionFailed
// for a conditional delete) is an <Error> entry, not a failed parse.
//
//   <?xml version="1.0" encoding="UTF-8"?>
//   <DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
//     <Deleted>
//       <Key>sample1.txt</Key>
//     </Deleted>
//     <Error>
//       <Key>sample2.txt</Key>
//       <Code>AccessDenied</Code>
//       <Message>Access Denied</Message>
//     </Error>
//   </DeleteResult>
//
// In a versioned bucket a <Deleted> also carries <VersionId>, or
// <DeleteMarker>true</DeleteMarker> and <DeleteMarkerVersionId>.
Result<DeleteObjectsResult> ParseDeleteObjectsResult(std::string_view xml);

// GetObjectTagging (GET /key?tagging). The tags in the order sent; a tag
// needs its <Key>, an empty <Value/> is an empty value.
//
//   <Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
//     <TagSet>
//       <Tag><Key>project</Key><Value>alpha</Value></Tag>
//       <Tag><Key>empty</Key><Value/></Tag>
//     </TagSet>
//   </Tagging>
Result<std::vector<std::pair<std::string, std::string>>> ParseTagging(std::string_view xml);

// GetBucketLocation (GET /?location). Returns the real region name: an empty
// constraint means us-east-1 and the legacy "EU" means eu-west-1.
//
//   <?xml version="1.0" encoding="UTF-8"?>
//   <LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">EU</LocationConstraint>
//
// and for a bucket in us-east-1:
//   <LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>
Result<std::string> ParseLocationConstraint(std::string_view xml);

// GetBucketVersioning (GET /?versioning). Returns "Enabled", "Suspended", or ""
// for a bucket whose versioning was never enabled (no <Status>). Any other
// status is an error.
//
//   <VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
//     <Status>Enabled</Status>
//   </VersioningConfiguration>
Result<std::string> ParseVersioningConfiguration(std::string_view xml);

// CreateMultipartUpload (POST /key?uploads). Returns the UploadId (required).
//
//   <?xml version="1.0" encoding="UTF-8"?>
//   <InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
//     <Bucket>example-bucket</Bucket>
//     <Key>example-object</Key>
//     <UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
//   </InitiateMultipartUploadResult>
Result<std::string> ParseInitiateMultipartUploadResult(std::string_view xml);

// CompleteMultipartUpload (POST /key?uploadId=...). S3 answers 200 OK at once
// and keeps the connection alive with whitespace while it assembles the parts,
// so the body may start with spaces and may turn out to be an <Error>: that
// gives the error it describes (see the contract above), never a result.
// ETag (quotes stripped) is required. version_id stays empty: it comes from the
// x-amz-version-id header, which the client reads.
//
//   <?xml version="1.0" encoding="UTF-8"?>
//   <CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
//     <Location>http://Example-Bucket.s3.amazonaws.com/Example-Object</Location>
//     <Bucket>Example-Bucket</Bucket>
//     <Key>Example-Object</Key>
//     <ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag>
//   </CompleteMultipartUploadResult>
//
// or, still with HTTP 200:
//   <Error>
//     <Code>InternalError</Code>
//     <Message>We encountered an internal error. Please try again.</Message>
//     <RequestId>656c76696e6727732072657175657374</RequestId>
//     <HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId>
//   </Error>
Result<CompleteMultipartUploadResult> ParseCompleteMultipartUploadResult(std::string_view xml);

// The body of an S3 error reply. `bucket` comes from <BucketName> or <Bucket>.
struct S3ErrorDocument {
  std::string code;
  std::string message;
  std::string request_id;
  std::string host_id;
  std::string region;    // AuthorizationHeaderMalformed, PermanentRedirect: the bucket's region
  std::string endpoint;  // 301 PermanentRedirect: the host to use instead
  std::string bucket;
  std::string key;
};

// An <Error> document. <Code> is required; everything else is optional. A body
// that is not an <Error> document is a kTransient error like any bad reply
// (the client then classifies by HTTP status alone); its context has no
// operation, for the caller to add.
//
//   <?xml version="1.0" encoding="UTF-8"?>
//   <Error>
//     <Code>NoSuchKey</Code>
//     <Message>The resource you requested does not exist</Message>
//     <Resource>/mybucket/myfoto.jpg</Resource>
//     <RequestId>4442587FB7D0A2F9</RequestId>
//   </Error>
//
//   <Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization
//   header is malformed; the region 'us-east-1' is wrong; expecting
//   'eu-west-1'</Message><Region>eu-west-1</Region><RequestId>...</RequestId>
//   <HostId>...</HostId></Error>
//
//   <Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting
//   to access must be addressed using the specified endpoint. ...</Message>
//   <Endpoint>my-bucket.s3.eu-west-1.amazonaws.com</Endpoint>
//   <Bucket>my-bucket</Bucket><RequestId>...</RequestId><HostId>...</HostId></Error>
Result<S3ErrorDocument> ParseErrorDocument(std::string_view xml);

// The x-amz-restore header of HeadObject/GetObject:
//   ongoing-request="true"
//   ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"
// A comma-separated list of name="value" pairs; spaces around names, '=' and
// commas are tolerated, names are case-insensitive. ongoing-request (true or
// false) is required. expiry-date is optional (restores from the
// Intelligent-Tiering archive tiers do not expire) and, when present, must be an
// HTTP date; it fills both expiry_date (raw) and expiry. Unknown well-formed
// pairs are ignored; anything else (unquoted or unterminated values, a repeated
// name, stray text) is a kTransient error naming the header.
Result<RestoreStatus> ParseRestoreHeader(std::string_view value);

// Dates in S3 replies are parsed with ParseHttpDate / ParseIso8601 from core/time_format.h.

// ---------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------
//
// Every text value is XML-escaped: & < > " ' become entities, and every C0
// control character becomes a numeric reference &#xN;. For CR and LF this is
// the replacement S3's "XML related object key constraints" asks for (a
// literal CR would be normalised to LF by the server's parser, naming another
// key); TAB gets it for the same reason. The other C0 characters (NUL
// included) get the same treatment although XML 1.0 forbids them even as
// references: it is the only way to name such a key in an XML body at all.
// S3 takes it; a stricter server may reject that one request, which then
// fails visibly instead of deleting a different key. Bytes >= 0x80 are copied
// unchanged (keys are UTF-8 as S3 returned them).

// DeleteObjects request body. <Quiet>true</Quiet> only when `quiet` (S3: "when
// you add this element, you must set its value to true"). VersionId and ETag
// are sent when non-empty. The ETag is sent as a quoted entity tag,
// "<etag>", the form S3 itself writes in XML and the form its conditional
// delete accepts; surrounding quotes already on the entry are not doubled.
// The caller keeps batches within S3's limit of 1000 objects.
//
//   <?xml version="1.0" encoding="UTF-8"?>
//   <Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>
//   <Object><Key>a.txt</Key><VersionId>v1</VersionId><ETag>&quot;9b2c...&quot;</ETag></Object>
//   </Delete>
std::string BuildDeleteObjectsXml(const std::vector<DeleteObjectsEntry>& entries, bool quiet);

// True when `text` can travel as element text in an XML 1.0 body and come
// back unchanged: valid UTF-8 without control characters (XML 1.0 forbids
// most of them, and parsers turn CR and CRLF into LF). Other keys are
// deleted one at a time, with the key in the URL.
bool XmlCarriesUnchanged(std::string_view text);

// CompleteMultipartUpload request body. Parts are written in ascending part
// number (S3 rejects any other order with InvalidPartOrder). ETags are sent
// quoted. When `checksum_algorithm` ("CRC32", "crc32c", "SHA256", "CRC64NVME",
// ...) is non-empty, each part with a non-empty checksum also gets
// <Checksum{ALGORITHM}>, the algorithm upper-cased.
//
//   <CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
//     <Part><PartNumber>1</PartNumber><ETag>"a54357aff0632cce46d942af68356b38"</ETag>
//           <ChecksumCRC32>xyz=</ChecksumCRC32></Part>
//   </CompleteMultipartUpload>
std::string BuildCompleteMultipartUploadXml(const std::vector<CompletedPart>& parts,
                                            std::string_view checksum_algorithm);

// RestoreObject request body.
//   With days (GLACIER, DEEP_ARCHIVE):
//     <RestoreRequest xmlns="..."><Days>2</Days>
//       <GlacierJobParameters><Tier>Bulk</Tier></GlacierJobParameters></RestoreRequest>
//   Without days (Intelligent-Tiering Archive / Deep Archive Access tiers):
//     <RestoreRequest xmlns="..."><GlacierJobParameters><Tier>Standard</Tier>
//       </GlacierJobParameters></RestoreRequest>
// Days must be omitted for Intelligent-Tiering archive tiers: those restores
// do not expire and a Days value makes the request fail (S3 API Reference,
// S3InitiateRestoreObjectOperation.ExpirationInDays; RestoreRequest.Days is
// "Required: No"). The tier still selects the retrieval speed there (RestoreObject:
// "you can specify one of the following data access tier options in the Tier
// element"), so GlacierJobParameters is kept. The caller does not pass
// Expedited for Deep Archive (S3 has no such tier there).
std::string BuildRestoreRequestXml(std::optional<int> days, RestoreTier tier);

// PutBucketVersioning request body: <Status>Enabled</Status> or Suspended.
std::string BuildVersioningConfigurationXml(bool enabled);

// CreateBucket request body. Empty for "" and "us-east-1" (S3 rejects a
// LocationConstraint of us-east-1); otherwise
//   <CreateBucketConfiguration xmlns="..."><LocationConstraint>eu-west-1</LocationConstraint>
//   </CreateBucketConfiguration>
std::string BuildCreateBucketConfigurationXml(std::string_view region);

// "Expedited", "Standard" or "Bulk", as RestoreObject's Tier element spells them.
std::string RestoreTierName(RestoreTier tier);

}  // namespace s3m::s3
