#pragma once
// libpq, loaded when the first PostgreSQL connection is opened instead of linked: a process on
// SQLite (pons-mcp on the user's computer, most installs) maps none of libpq nor the TLS,
// Kerberos and LDAP libraries it brings. Only pg_connection.cpp includes this.

#include <libpq-fe.h>

#include <string>

namespace pons::store::detail {

/// The libpq functions the store calls, under their libpq names.
struct libpq_api {
  decltype(&::PQbackendPID) PQbackendPID;
  decltype(&::PQclear) PQclear;
  decltype(&::PQcmdTuples) PQcmdTuples;
  decltype(&::PQconnectdbParams) PQconnectdbParams;
  decltype(&::PQconninfoFree) PQconninfoFree;
  decltype(&::PQconninfoParse) PQconninfoParse;
  decltype(&::PQconsumeInput) PQconsumeInput;
  decltype(&::PQenterPipelineMode) PQenterPipelineMode;
  decltype(&::PQerrorMessage) PQerrorMessage;
  decltype(&::PQexec) PQexec;
  decltype(&::PQexecParams) PQexecParams;
  decltype(&::PQexecPrepared) PQexecPrepared;
  decltype(&::PQexitPipelineMode) PQexitPipelineMode;
  decltype(&::PQfinish) PQfinish;
  decltype(&::PQfname) PQfname;
  decltype(&::PQfreemem) PQfreemem;
  decltype(&::PQgetResult) PQgetResult;
  decltype(&::PQgetisnull) PQgetisnull;
  decltype(&::PQgetlength) PQgetlength;
  decltype(&::PQgetvalue) PQgetvalue;
  decltype(&::PQnfields) PQnfields;
  decltype(&::PQnotifies) PQnotifies;
  decltype(&::PQntuples) PQntuples;
  decltype(&::PQpipelineStatus) PQpipelineStatus;
  decltype(&::PQpipelineSync) PQpipelineSync;
  decltype(&::PQprepare) PQprepare;
  decltype(&::PQreset) PQreset;
  decltype(&::PQresultErrorField) PQresultErrorField;
  decltype(&::PQresultErrorMessage) PQresultErrorMessage;
  decltype(&::PQresultStatus) PQresultStatus;
  decltype(&::PQsendQueryParams) PQsendQueryParams;
  decltype(&::PQsendQueryPrepared) PQsendQueryPrepared;
  decltype(&::PQsetNoticeProcessor) PQsetNoticeProcessor;
  decltype(&::PQstatus) PQstatus;
  decltype(&::PQtransactionStatus) PQtransactionStatus;
};

/// libpq's functions, loaded once by the first call (later calls and other threads get the same
/// table); nullptr when libpq cannot be loaded, with the reason in `why` when given.
const libpq_api* load_libpq(std::string* why = nullptr);

}  // namespace pons::store::detail
