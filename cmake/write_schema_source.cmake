# Script mode: writes OUT, a C++ file defining pons::store::FUNCTION() from SCHEMA_DIR's
# NNNN_*.sql files.
file(GLOB schema_files ${SCHEMA_DIR}/[0-9][0-9][0-9][0-9]_*.sql)
list(SORT schema_files)
set(body "")
foreach(f IN LISTS schema_files)
  get_filename_component(name ${f} NAME)
  string(SUBSTRING ${name} 0 4 version)
  math(EXPR version "${version}")
  file(READ ${f} sql)
  # A raw string delimiter that cannot occur in SQL we write.
  string(APPEND body "    {${version}, \"${name}\", R\"pons_sql(${sql})pons_sql\"},\n")
endforeach()
file(WRITE ${OUT}.tmp
"// Generated from ${SCHEMA_DIR}/*.sql at build time. Do not edit.\n"
"#include \"pons/store/migrations.hpp\"\n\n"
"namespace pons::store {\n\n"
"std::span<const migration> ${FUNCTION}() {\n"
"  static const migration all[] = {\n${body}  };\n"
"  return all;\n"
"}\n\n"
"}  // namespace pons::store\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
