# Warnings and sanitizers, applied to every target of the project through
# lathe_target_defaults(); nothing here touches dependencies' flags.

function(lathe_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(LATHE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(LATHE_SANITIZE)
    set(sanitizers ${LATHE_SANITIZE})
    # GCC's UBSan group leaves out float-to-int conversions out of range (NaN
    # included); clang's has them. Ask for them by name.
    if(LATHE_SANITIZE MATCHES "undefined")
      string(APPEND sanitizers ",float-cast-overflow")
    endif()
    target_compile_options(${target} PRIVATE -fsanitize=${sanitizers} -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=${sanitizers})
  endif()
endfunction()

if(LATHE_SANITIZE AND NOT LATHE_SANITIZE MATCHES "^(address|undefined|address,undefined|undefined,address)$")
  message(FATAL_ERROR "LATHE_SANITIZE='${LATHE_SANITIZE}': expected address, undefined or address,undefined")
endif()
