# Embeds the dashboard's files (libs/dashboard/assets/*) into a generated C++ source: the binary
# is the whole product, with nothing to install beside it.
set(PONS_ASSETS_DIR ${CMAKE_SOURCE_DIR}/libs/dashboard/assets)

function(pons_embed_assets out_cpp)
  file(GLOB asset_files CONFIGURE_DEPENDS ${PONS_ASSETS_DIR}/*)
  add_custom_command(
    OUTPUT ${out_cpp}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out_cpp} -DASSETS_DIR=${PONS_ASSETS_DIR}
            -P ${CMAKE_SOURCE_DIR}/cmake/write_assets_source.cmake
    DEPENDS ${asset_files} ${CMAKE_SOURCE_DIR}/cmake/write_assets_source.cmake
    COMMENT "Embedding the dashboard's assets"
    VERBATIM)
endfunction()
