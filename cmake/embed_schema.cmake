# Embeds schema/NNNN_*.sql into a generated C++ source so both binaries carry their migrations.
set(PONS_SCHEMA_DIR ${CMAKE_SOURCE_DIR}/schema)

function(pons_embed_schema out_cpp)
  file(GLOB schema_files CONFIGURE_DEPENDS ${PONS_SCHEMA_DIR}/[0-9][0-9][0-9][0-9]_*.sql)
  list(SORT schema_files)
  add_custom_command(
    OUTPUT ${out_cpp}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out_cpp} -DSCHEMA_DIR=${PONS_SCHEMA_DIR}
            -P ${CMAKE_SOURCE_DIR}/cmake/write_schema_source.cmake
    DEPENDS ${schema_files} ${CMAKE_SOURCE_DIR}/cmake/write_schema_source.cmake
    COMMENT "Embedding SQL migrations"
    VERBATIM)
endfunction()
