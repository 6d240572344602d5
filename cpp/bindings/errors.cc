#include "bindings/errors.h"

#include <pybind11/pybind11.h>

#include "common/errors.h"

namespace py = pybind11;

namespace ncasr {
namespace {

void raise(const char* cls_name, py::tuple args) {
  py::object cls = py::module_::import("ncasr.errors").attr(cls_name);
  py::object exc = cls(*args);
  PyErr_SetObject(cls.ptr(), exc.ptr());
}

}  // namespace

void register_error_translator() {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ModelFileNotFound& e) {
      raise("ModelFileNotFoundError", py::make_tuple(e.path(), e.reason()));
    } catch (const ModelError& e) {
      raise("ModelError", py::make_tuple(e.path(), e.reason()));
    } catch (const AudioError& e) {
      raise("AudioError", py::make_tuple(e.what()));
    } catch (const ConfigError& e) {
      raise("ConfigError", py::make_tuple(e.what()));
    } catch (const Error& e) {
      raise("NcasrError", py::make_tuple(e.what()));
    }
  });
}

}  // namespace ncasr
