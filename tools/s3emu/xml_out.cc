#include "s3emu/xml_out.h"

#include <chrono>

#include "core/time_format.h"

namespace s3emu {

std::string XmlEscape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += "&#x";
          if (u >= 0x10) out.push_back(kHex[u >> 4]);
          out.push_back(kHex[u & 0xf]);
          out.push_back(';');
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

XmlWriter::XmlWriter(std::string_view root, bool s3_namespace) : root_(root) {
  out_.reserve(4096);
  out_ += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<";
  out_ += root;
  if (s3_namespace) out_ += " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";
  out_ += ">";
}

XmlWriter& XmlWriter::Open(std::string_view name) {
  out_.push_back('<');
  out_ += name;
  out_.push_back('>');
  return *this;
}

XmlWriter& XmlWriter::Close(std::string_view name) {
  out_ += "</";
  out_ += name;
  out_.push_back('>');
  return *this;
}

XmlWriter& XmlWriter::Element(std::string_view name, std::string_view text) {
  Open(name);
  out_ += XmlEscape(text);
  return Close(name);
}

XmlWriter& XmlWriter::Element(std::string_view name, uint64_t value) {
  return Element(name, std::to_string(value));
}

XmlWriter& XmlWriter::Bool(std::string_view name, bool value) {
  return Element(name, value ? "true" : "false");
}

std::string XmlWriter::Finish() {
  Close(root_);
  return std::move(out_);
}

std::string ListingUrlEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3 / 2);
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool plain = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') ||
                       c == '-' || c == '_' || c == '.' || c == '*' || (keep_slash && c == '/');
    if (plain) {
      out.push_back(c);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    }
  }
  return out;
}

std::string HttpDate(int64_t unix_ms) {
  return s3m::FormatHttpDate(std::chrono::system_clock::time_point(std::chrono::milliseconds(unix_ms)));
}

std::string Iso8601(int64_t unix_ms) {
  return s3m::FormatIso8601(std::chrono::system_clock::time_point(std::chrono::milliseconds(unix_ms)));
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace s3emu
