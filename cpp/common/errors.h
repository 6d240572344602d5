#pragma once
// Typed errors of the ncasr core. The bindings turn each into its Python class
// (ncasr.errors); nothing in the core exits or asserts on user input.
#include <stdexcept>
#include <string>

namespace ncasr {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// A model file that is missing, malformed, or does not fit with its partners.
class ModelError : public Error {
 public:
  ModelError(std::string path, std::string reason)
      : Error(path + ": " + reason), path_(std::move(path)), reason_(std::move(reason)) {}
  const std::string& path() const { return path_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string path_;
  std::string reason_;
};

// A model file that does not exist; Python sees it as both ModelError and FileNotFoundError.
class ModelFileNotFound : public ModelError {
 public:
  using ModelError::ModelError;
};

// Audio that cannot be recognised as given (empty, NaN, wrong rate, ...).
class AudioError : public Error {
 public:
  explicit AudioError(const std::string& message) : Error(message) {}
};

// A configuration value outside its valid range.
class ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& message) : Error(message) {}
};

}  // namespace ncasr
