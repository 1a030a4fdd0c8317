#include "pons/store/detail/libpq.hpp"

#include <dlfcn.h>
#include <fmt/core.h>

#include <bit>

namespace pons::store::detail {

namespace {

// Debian's libpq5 package; the soname libpq has kept since PostgreSQL 8.2.
constexpr const char* libpq_soname = "libpq.so.5";

struct loaded_libpq {
  libpq_api api{};
  std::string error;  // empty once every function was found
};

template <class Function>
void bind(void* handle, const char* name, Function& slot, std::string& error) {
  void* found = ::dlsym(handle, name);
  if (!found) {
    if (error.empty())
      error = fmt::format("{} has no {}: it is older than PostgreSQL 14's", libpq_soname, name);
    return;
  }
  slot = std::bit_cast<Function>(found);
}

loaded_libpq load() {
  loaded_libpq out;
  // Never closed: connections use it until the process ends.
  void* handle = ::dlopen(libpq_soname, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* reason = ::dlerror();
    out.error =
        fmt::format("PostgreSQL needs libpq, which cannot be loaded (Debian package libpq5): {}",
                    reason ? reason : "unknown reason");
    return out;
  }
  libpq_api& a = out.api;
  bind(handle, "PQbackendPID", a.PQbackendPID, out.error);
  bind(handle, "PQclear", a.PQclear, out.error);
  bind(handle, "PQcmdTuples", a.PQcmdTuples, out.error);
  bind(handle, "PQconnectdbParams", a.PQconnectdbParams, out.error);
  bind(handle, "PQconninfoFree", a.PQconninfoFree, out.error);
  bind(handle, "PQconninfoParse", a.PQconninfoParse, out.error);
  bind(handle, "PQconsumeInput", a.PQconsumeInput, out.error);
  bind(handle, "PQenterPipelineMode", a.PQenterPipelineMode, out.error);
  bind(handle, "PQerrorMessage", a.PQerrorMessage, out.error);
  bind(handle, "PQexec", a.PQexec, out.error);
  bind(handle, "PQexecParams", a.PQexecParams, out.error);
  bind(handle, "PQexecPrepared", a.PQexecPrepared, out.error);
  bind(handle, "PQexitPipelineMode", a.PQexitPipelineMode, out.error);
  bind(handle, "PQfinish", a.PQfinish, out.error);
  bind(handle, "PQfname", a.PQfname, out.error);
  bind(handle, "PQfreemem", a.PQfreemem, out.error);
  bind(handle, "PQgetResult", a.PQgetResult, out.error);
  bind(handle, "PQgetisnull", a.PQgetisnull, out.error);
  bind(handle, "PQgetlength", a.PQgetlength, out.error);
  bind(handle, "PQgetvalue", a.PQgetvalue, out.error);
  bind(handle, "PQnfields", a.PQnfields, out.error);
  bind(handle, "PQnotifies", a.PQnotifies, out.error);
  bind(handle, "PQntuples", a.PQntuples, out.error);
  bind(handle, "PQpipelineStatus", a.PQpipelineStatus, out.error);
  bind(handle, "PQpipelineSync", a.PQpipelineSync, out.error);
  bind(handle, "PQprepare", a.PQprepare, out.error);
  bind(handle, "PQreset", a.PQreset, out.error);
  bind(handle, "PQresultErrorField", a.PQresultErrorField, out.error);
  bind(handle, "PQresultErrorMessage", a.PQresultErrorMessage, out.error);
  bind(handle, "PQresultStatus", a.PQresultStatus, out.error);
  bind(handle, "PQsendQueryParams", a.PQsendQueryParams, out.error);
  bind(handle, "PQsendQueryPrepared", a.PQsendQueryPrepared, out.error);
  bind(handle, "PQsetNoticeProcessor", a.PQsetNoticeProcessor, out.error);
  bind(handle, "PQstatus", a.PQstatus, out.error);
  bind(handle, "PQtransactionStatus", a.PQtransactionStatus, out.error);
  return out;
}

}  // namespace

const libpq_api* load_libpq(std::string* why) {
  static const loaded_libpq library = load();
  if (!library.error.empty()) {
    if (why) *why = library.error;
    return nullptr;
  }
  return &library.api;
}

}  // namespace pons::store::detail
