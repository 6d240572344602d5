#pragma once
namespace ncasr {
// Maps ncasr::Error subclasses to the classes in ncasr.errors.
void register_error_translator();
}  // namespace ncasr
