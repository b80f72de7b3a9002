# Warnings and sanitizers, applied to every target of the project through
# lathe_target_defaults(); nothing here touches dependencies' flags.

function(lathe_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(LATHE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(LATHE_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${LATHE_SANITIZE} -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=${LATHE_SANITIZE})
  endif()
endfunction()

if(LATHE_SANITIZE AND NOT LATHE_SANITIZE MATCHES "^(address|undefined|address,undefined|undefined,address)$")
  message(FATAL_ERROR "LATHE_SANITIZE='${LATHE_SANITIZE}': expected address, undefined or address,undefined")
endif()
