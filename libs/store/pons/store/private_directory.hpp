#pragma once
// Folders for private data (the database's folder, the media store): only their owner may list
// or enter them, whatever the umask says.

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <string>

namespace pons::store {

/// Creates `dir` and each missing parent with mode 0700, syncing the parent of each folder it
/// creates (so the folder survives a power cut). Folders that already exist keep their mode (a
/// parent like /srv or $HOME is not ours to change). The errno of the failing step as a system
/// error otherwise.
boost::system::result<void> create_private_directories(const std::string& dir);

/// create_private_directories, then mode 0700 on `dir` itself even when it already existed: for
/// a folder Pons alone owns (the media store), which older versions made 0755.
boost::system::result<void> make_private_directory(const std::string& dir);

}  // namespace pons::store
