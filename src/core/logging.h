// Leveled logging to stderr, thread-safe. Never log a secret: credentials,
// signatures and session tokens are kept out of every message by construction
// (the signer and credential code never pass them here).
#pragma once

#include <string_view>

#include <fmt/format.h>

namespace s3m {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
bool ParseLogLevel(std::string_view text, LogLevel* level);
void LogMessage(LogLevel level, std::string_view message);

template <typename... Args>
void Log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  if (level < GetLogLevel()) return;
  LogMessage(level, fmt::format(format, std::forward<Args>(args)...));
}

#define S3M_LOG_DEBUG(...) ::s3m::Log(::s3m::LogLevel::kDebug, __VA_ARGS__)
#define S3M_LOG_INFO(...) ::s3m::Log(::s3m::LogLevel::kInfo, __VA_ARGS__)
#define S3M_LOG_WARN(...) ::s3m::Log(::s3m::LogLevel::kWarn, __VA_ARGS__)
#define S3M_LOG_ERROR(...) ::s3m::Log(::s3m::LogLevel::kError, __VA_ARGS__)

}  // namespace s3m
