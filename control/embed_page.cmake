# Turns the dashboard page into a C++ source file: cmake -DIN=page.html -DOUT=page.cc -P this
file(READ "${IN}" page)
string(FIND "${page}" ")tminus_page\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter )tminus_page\"")
endif()
file(WRITE "${OUT}.tmp" "// Generated from dashboard.html by embed_page.cmake; edit that file.\n#include \"control/dashboard.h\"\nnamespace tminus::control {\nconst char* const kDashboardPage = R\"tminus_page(${page})tminus_page\";\n}  // namespace tminus::control\n")
file(RENAME "${OUT}.tmp" "${OUT}")
