# Embeds NNNN_*.sql migrations into a generated C++ source so both binaries carry them:
# schema/ (SQLite) as embedded_migrations(), schema/postgresql/ as embedded_pg_migrations().
set(PONS_SCHEMA_DIR ${CMAKE_SOURCE_DIR}/schema)

# pons_embed_schema(out_cpp schema_dir function_name)
function(pons_embed_schema out_cpp schema_dir function_name)
  file(GLOB schema_files CONFIGURE_DEPENDS ${schema_dir}/[0-9][0-9][0-9][0-9]_*.sql)
  list(SORT schema_files)
  # The list of files as a file of its own, rewritten only when the list changes: a migration
  # removed or renamed leaves every remaining file older than the output, and this one is not.
  file(CONFIGURE OUTPUT ${out_cpp}.files CONTENT "${schema_files}\n" @ONLY)
  add_custom_command(
    OUTPUT ${out_cpp}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out_cpp} -DSCHEMA_DIR=${schema_dir}
            -DFUNCTION=${function_name}
            -P ${CMAKE_SOURCE_DIR}/cmake/write_schema_source.cmake
    DEPENDS ${schema_files} ${out_cpp}.files ${CMAKE_SOURCE_DIR}/cmake/write_schema_source.cmake
    COMMENT "Embedding SQL migrations"
    VERBATIM)
endfunction()
