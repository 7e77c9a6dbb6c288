# Embeds the SQL tree into C++: one generated source holding every migration file and sync rules
# file as a raw string literal, so the library carries its schemas with it.
function(ferry_embed_sql sql_dir out_file)
  file(GLOB_RECURSE ferry_sql_inputs CONFIGURE_DEPENDS
       ${sql_dir}/*.sql ${sql_dir}/*.json)
  # The list of inputs, rewritten only when it changes: a file removed from sql/ makes the
  # generated source out of date too (it would otherwise keep a deleted migration).
  string(REPLACE ";" "\n" ferry_sql_manifest "${ferry_sql_inputs}")
  file(CONFIGURE OUTPUT ${out_file}.inputs CONTENT "${ferry_sql_manifest}\n" @ONLY)
  add_custom_command(
    OUTPUT ${out_file}
    COMMAND ${CMAKE_COMMAND} -DSQL_DIR=${sql_dir} -DOUT_FILE=${out_file}
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedSqlScript.cmake
    DEPENDS ${ferry_sql_inputs} ${out_file}.inputs ${PROJECT_SOURCE_DIR}/cmake/EmbedSqlScript.cmake
    COMMENT "Embedding SQL migrations and sync rules"
    VERBATIM)
  set_source_files_properties(${out_file} PROPERTIES GENERATED TRUE)
  set(FERRY_SQL_DATA_SOURCE ${out_file} PARENT_SCOPE)
endfunction()
