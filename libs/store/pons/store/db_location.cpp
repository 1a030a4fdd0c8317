#include "pons/store/db_location.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "pons/store/pg_connection.hpp"
#include "pons/store/pg_dialect.hpp"
#include "pons/store/private_directory.hpp"

namespace pons::store {

namespace {

namespace fs = std::filesystem;

class db_location_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "pons.db_location"; }
  std::string message(int ev) const override {
    switch (static_cast<db_location_errc>(ev)) {
      case db_location_errc::placeholder:
        return "the database path is a placeholder from an example configuration: replace it "
               "with the path of the database file";
      case db_location_errc::postgres_url:
        return "a PostgreSQL database needs a folder for its media: set PONS_DATA_DIR (or HOME)";
      case db_location_errc::url:
        return "the database location is a URL: give the path of a SQLite database file";
      case db_location_errc::bad_file_url:
        return "the file: URL does not name a local file: give a plain path or "
               "file:///absolute/path";
      case db_location_errc::no_default:
        return "no database location: pass --db or set PONS_DB (or HOME, or XDG_DATA_HOME)";
    }
    return "unknown database location error";
  }
};

const db_location_category_impl category_instance;

constexpr std::string_view default_example = "~/.local/share/pons/pons.db";

db_location fail(db_location out, db_location_errc code, std::string message) {
  out.path.clear();
  out.error = code;
  out.message = std::move(message);
  return out;
}

bool is_absolute(std::string_view p) {
  return !p.empty() && p.front() == '/';
}

// "<...>" anywhere: the shape of every placeholder in Pons's examples and most others'.
bool looks_like_placeholder(std::string_view v) {
  auto open = v.find('<');
  return open != std::string_view::npos && v.find('>', open) != std::string_view::npos;
}

// The URL scheme of `v` ("postgresql" for "postgresql://..."), or empty when `v` has none.
std::string scheme_of(std::string_view v) {
  if (v.empty() || !std::isalpha(static_cast<unsigned char>(v.front()))) return {};
  std::size_t i = 1;
  while (i < v.size() && (std::isalnum(static_cast<unsigned char>(v[i])) || v[i] == '+' ||
                          v[i] == '-' || v[i] == '.')) {
    ++i;
  }
  if (i >= v.size() || v[i] != ':') return {};
  std::string scheme(v.substr(0, i));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // "name:x.db" without "//" is a file name with a colon; only file: URLs may omit the "//".
  if (scheme != "file" && v.substr(i + 1, 2) != "//") return {};
  return scheme;
}

// The local path a file: URL names, or nullopt (host other than localhost, query, relative).
std::optional<std::string> file_url_path(std::string_view v) {
  auto url = boost::urls::parse_uri(v);
  if (!url) return std::nullopt;
  if (url->has_query() || url->has_fragment()) return std::nullopt;
  if (url->has_authority() && !url->encoded_host().empty() && url->encoded_host() != "localhost") {
    return std::nullopt;
  }
  std::string path = url->path();
  if (!is_absolute(path)) return std::nullopt;
  return path;
}

db_location from_value(db_location out, std::string value, const env_lookup& env,
                       std::string_view cwd) {
  const std::string origin = out.origin;  // a copy: `out` is moved into fail()
  if (looks_like_placeholder(value)) {
    return fail(std::move(out), db_location_errc::placeholder,
                fmt::format("{} is \"{}\", a placeholder from an example configuration: replace it "
                            "with the path of the database file (the same for pons-webhook and "
                            "pons-mcp), or remove it to use the default, {}",
                            origin, value, default_example));
  }
  if (auto scheme = scheme_of(value); !scheme.empty()) {
    if (scheme == "postgres" || scheme == "postgresql") {
      // The files beside the database go to a folder every instance can reach.
      std::string data;
      if (auto d = env("PONS_DATA_DIR"); d && is_absolute(*d)) {
        data = fs::path(*d).lexically_normal().string();
      } else if (auto xdg = env("XDG_DATA_HOME"); xdg && is_absolute(*xdg)) {
        data = (fs::path(*xdg) / "pons").lexically_normal().string();
      } else if (auto home = env("HOME"); home && is_absolute(*home)) {
        data = (fs::path(*home) / ".local/share/pons").lexically_normal().string();
      } else {
        return fail(std::move(out), db_location_errc::postgres_url,
                    fmt::format("{} names a PostgreSQL database, and its media need a folder: "
                                "set PONS_DATA_DIR to an absolute path (the same folder for "
                                "every instance), or HOME",
                                origin));
      }
      out.path = std::move(value);
      out.data_dir = std::move(data);
      return out;
    }
    if (scheme != "file") {
      return fail(std::move(out), db_location_errc::url,
                  fmt::format("{} is a URL ({}://...), but it takes a file path: the SQLite "
                              "database file, for example {} (file:///absolute/path is accepted "
                              "too)",
                              origin, scheme, default_example));
    }
    auto path = file_url_path(value);
    if (!path) {
      return fail(std::move(out), db_location_errc::bad_file_url,
                  fmt::format("{} is \"{}\", a file: URL that does not name a local file: write "
                              "the plain path instead, or file:///absolute/path",
                              origin, value));
    }
    value = std::move(*path);
  }
  if (value == "~" || value.rfind("~/", 0) == 0) {
    auto home = env("HOME");
    if (!home || !is_absolute(*home)) {
      return fail(std::move(out), db_location_errc::no_default,
                  fmt::format("{} starts with ~ but HOME is not set to an absolute path: give "
                              "the database file's absolute path",
                              origin));
    }
    value = *home + value.substr(1);
  }
  fs::path p(value);
  if (!p.is_absolute()) p = fs::path(cwd) / p;
  out.path = p.lexically_normal().string();
  out.data_dir = fs::path(out.path).parent_path().string();
  return out;
}

}  // namespace

const boost::system::error_category& db_location_category() noexcept {
  return category_instance;
}

boost::system::error_code make_error_code(db_location_errc e) noexcept {
  return {static_cast<int>(e), category_instance};
}

db_location resolve_db_location(std::optional<std::string_view> flag, const env_lookup& env,
                                std::string_view cwd) {
  db_location out;
  if (flag) {
    out.origin = "--db";
    return from_value(std::move(out), std::string(*flag), env, cwd);
  }
  if (auto db = env("PONS_DB"); db && !db->empty()) {
    out.origin = "PONS_DB";
    return from_value(std::move(out), std::move(*db), env, cwd);
  }
  // The XDG base directory rules: a relative XDG_DATA_HOME is invalid and ignored.
  if (auto xdg = env("XDG_DATA_HOME"); xdg && is_absolute(*xdg)) {
    out.origin = "XDG_DATA_HOME";
    out.path = (fs::path(*xdg) / "pons" / "pons.db").lexically_normal().string();
    out.data_dir = fs::path(out.path).parent_path().string();
    return out;
  }
  if (auto home = env("HOME"); home && is_absolute(*home)) {
    out.origin = "HOME";
    out.path = (fs::path(*home) / ".local/share/pons/pons.db").lexically_normal().string();
    out.data_dir = fs::path(out.path).parent_path().string();
    return out;
  }
  return fail(std::move(out), db_location_errc::no_default,
              "cannot tell where the database is: HOME and XDG_DATA_HOME are not set (to an "
              "absolute path). Pass --db /path/to/pons.db or set PONS_DB, with the same path for "
              "pons-webhook and pons-mcp");
}

std::string create_db_directory(const std::string& db_path) {
  if (is_postgresql_url(db_path)) return {};
  fs::path dir = fs::path(db_path).parent_path();
  if (dir.empty()) return {};
  if (auto made = create_private_directories(dir.string()); !made)
    return fmt::format("cannot create the database folder {}: {}", dir.string(),
                       made.error().message());
  return {};
}

std::string create_data_directory(const std::string& data_dir) {
  if (data_dir.empty()) return {};
  if (auto made = create_private_directories(data_dir); !made)
    return fmt::format("cannot create the data folder {}: {}", data_dir, made.error().message());
  return {};
}

std::string data_folder(std::string_view db_path, std::string_view data_dir) {
  if (!data_dir.empty()) return std::string(data_dir);
  if (is_postgresql_url(db_path)) return {};
  const fs::path parent = fs::path(db_path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

std::string shown_location(std::string_view db_path) {
  return is_postgresql_url(db_path) ? redacted_conninfo(db_path) : std::string(db_path);
}

}  // namespace pons::store
