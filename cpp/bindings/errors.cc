#include "bindings/errors.h"

#include <pybind11/pybind11.h>

#include "common/errors.h"

namespace py = pybind11;

namespace ncasr {
namespace {

// Messages can quote file content; bytes that are not UTF-8 must not turn the typed error
// into a UnicodeDecodeError.
py::str text(const std::string& s) {
  return py::reinterpret_steal<py::str>(
      PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "backslashreplace"));
}

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
      raise("ModelFileNotFoundError", py::make_tuple(text(e.path()), text(e.reason())));
    } catch (const ModelError& e) {
      raise("ModelError", py::make_tuple(text(e.path()), text(e.reason())));
    } catch (const AudioError& e) {
      raise("AudioError", py::make_tuple(text(e.what())));
    } catch (const ConfigError& e) {
      raise("ConfigError", py::make_tuple(text(e.what())));
    } catch (const Error& e) {
      raise("NcasrError", py::make_tuple(text(e.what())));
    }
  });
}

}  // namespace ncasr
