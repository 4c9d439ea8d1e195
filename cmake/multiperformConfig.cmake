# find_package(multiperform CONFIG) after `make install PREFIX=...`: the same
# targets as the source tree's CMakeLists.txt, multiperform::multiperform and
# multiperform::compat. Set MULTIPERFORM_TLS OFF before it for http only.
get_filename_component(_multiperform_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT DEFINED MULTIPERFORM_TLS)
    set(MULTIPERFORM_TLS ON)
endif()
if(NOT TARGET multiperform::multiperform)
    add_library(multiperform::multiperform INTERFACE IMPORTED)
    set_target_properties(multiperform::multiperform PROPERTIES
        INTERFACE_INCLUDE_DIRECTORIES "${_multiperform_prefix}/include")
    if(MULTIPERFORM_TLS)
        set_property(TARGET multiperform::multiperform APPEND PROPERTY INTERFACE_LINK_LIBRARIES bearssl)
    else()
        set_property(TARGET multiperform::multiperform APPEND PROPERTY INTERFACE_COMPILE_DEFINITIONS MPERF_NO_TLS)
    endif()
    if(WIN32)
        set_property(TARGET multiperform::multiperform APPEND PROPERTY INTERFACE_LINK_LIBRARIES ws2_32)
    endif()
    add_library(multiperform::compat INTERFACE IMPORTED)
    set_target_properties(multiperform::compat PROPERTIES
        INTERFACE_INCLUDE_DIRECTORIES "${_multiperform_prefix}/include/multiperform/compat"
        INTERFACE_LINK_LIBRARIES multiperform::multiperform)
endif()
set(multiperform_FOUND TRUE)
unset(_multiperform_prefix)
