#include "engine/interchange/csv.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tminus {
namespace csv_test {

using Fields = std::vector<std::string>;

CsvTable MustRead(const std::string& bytes, Diagnostics* d) {
  std::optional<CsvTable> table = ReadCsv(bytes, d);
  EXPECT_TRUE(table.has_value());
  return table.value_or(CsvTable{});
}

TEST(CsvReadTest, ExcelUtf8WithBomCrlfAndQuotedFields) {
  Diagnostics d;
  const std::string bytes =
      "\xEF\xBB\xBFID,Name,Notes\r\n"
      "1,\"Stop app, then drain\",\"say \"\"go\"\"\"\r\n"
      "2,\"two\r\nlines\",\r\n"
      "3,Caf\xC3\xA9,last\r\n";
  CsvTable t = MustRead(bytes, &d);
  EXPECT_TRUE(d.all().empty());
  EXPECT_EQ(t.delimiter, ',');
  ASSERT_EQ(t.rows.size(), 4u);
  EXPECT_EQ(t.rows[0].fields, (Fields{"ID", "Name", "Notes"}));
  EXPECT_EQ(t.rows[1].fields, (Fields{"1", "Stop app, then drain", "say \"go\""}));
  EXPECT_EQ(t.rows[2].fields, (Fields{"2", "two\nlines", ""}));
  EXPECT_EQ(t.rows[3].fields, (Fields{"3", "Caf\xC3\xA9", "last"}));
  // A row's line is where it starts; the line break inside row 2 moves row 3 down one.
  EXPECT_EQ(t.rows[1].line, 2);
  EXPECT_EQ(t.rows[2].line, 3);
  EXPECT_EQ(t.rows[3].line, 5);
}

TEST(CsvReadTest, DetectsSemicolonsAndTabs) {
  Diagnostics d;
  CsvTable semi = MustRead("Name;Duration;Predecessors\nA;1,5h;\"1;2\"\n", &d);
  EXPECT_EQ(semi.delimiter, ';');
  EXPECT_EQ(semi.rows[1].fields, (Fields{"A", "1,5h", "1;2"}));
  CsvTable tabs = MustRead("Name\tDuration\nA, B\t30m\n", &d);
  EXPECT_EQ(tabs.delimiter, '\t');
  EXPECT_EQ(tabs.rows[1].fields, (Fields{"A, B", "30m"}));
  // A comma inside quotes in the header does not count.
  CsvTable quoted = MustRead("\"Name, full\";Duration\nA;1h\n", &d);
  EXPECT_EQ(quoted.delimiter, ';');
  EXPECT_TRUE(d.all().empty());
}

TEST(CsvReadTest, ExcelSepLineSetsTheDelimiter) {
  Diagnostics d;
  CsvTable t = MustRead("sep=;\r\nName;Duration\r\nA,B;5m\r\n", &d);
  EXPECT_EQ(t.delimiter, ';');
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].line, 2);
  EXPECT_EQ(t.rows[1].fields, (Fields{"A,B", "5m"}));
}

TEST(CsvReadTest, BlankRowsAreLeftOutButCounted) {
  Diagnostics d;
  CsvTable t = MustRead("Name,Duration\n\n,,\nA,5m\n\n", &d);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[1].line, 4);
  CsvTable no_final_newline = MustRead("Name,Duration\nA,5m", &d);
  ASSERT_EQ(no_final_newline.rows.size(), 2u);
  EXPECT_EQ(no_final_newline.rows[1].fields, (Fields{"A", "5m"}));
}

TEST(CsvReadTest, OldMacLineEnds) {
  Diagnostics d;
  CsvTable t = MustRead("Name,Duration\rA,5m\rB,6m\r", &d);
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[2].line, 3);
}

TEST(CsvReadTest, UnclosedQuoteIsReportedWhereItOpened) {
  Diagnostics d;
  EXPECT_FALSE(ReadCsv("Name,Duration\nA,5m\nB,\"5m\nC,7m\n", &d).has_value());
  ASSERT_EQ(d.error_count(), 1);
  EXPECT_EQ(d.all()[0].loc.line, 3);
  EXPECT_EQ(d.all()[0].loc.column, 2);
  EXPECT_NE(d.all()[0].message.find("never closed"), std::string::npos);
}

TEST(CsvReadTest, TextAfterAClosingQuoteIsAnError) {
  Diagnostics d;
  EXPECT_FALSE(ReadCsv("Name,Duration\n\"A\"x,5m\n", &d).has_value());
  ASSERT_EQ(d.error_count(), 1);
  EXPECT_EQ(d.all()[0].loc.line, 2);
  // Spaces after the closing quote are tolerated, as spreadsheets do.
  Diagnostics ok;
  CsvTable t = MustRead("Name,Duration\n\"A\"  ,5m\n", &ok);
  EXPECT_EQ(t.rows[1].fields, (Fields{"A", "5m"}));
}

TEST(CsvReadTest, Windows1252IsReadWithAWarning) {
  Diagnostics d;
  // "Café – Ü" in Windows-1252: é = E9, en dash = 96, Ü = DC.
  CsvTable t = MustRead("Name,Duration\nCaf\xE9 \x96 \xDC,5m\n", &d);
  EXPECT_EQ(t.rows[1].fields[0], "Caf\xC3\xA9 \xE2\x80\x93 \xC3\x9C");
  ASSERT_EQ(d.warning_count(), 1);
  EXPECT_NE(d.all()[0].message.find("Windows-1252"), std::string::npos);
}

TEST(CsvReadTest, Utf16IsRefused) {
  Diagnostics d;
  EXPECT_FALSE(ReadCsv(std::string("\xFF\xFEN\0a\0", 6), &d).has_value());
  ASSERT_EQ(d.error_count(), 1);
  EXPECT_NE(d.all()[0].message.find("UTF-16"), std::string::npos);
}

TEST(CsvFieldTest, QuotesOnlyWhenNeededAndReadsBack) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a;b"), "a;b");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"go\""), "\"say \"\"go\"\"\"");
  const std::vector<std::string> fields = {"a,b", "say \"go\"", "two\nlines", "", "x"};
  std::string line;
  for (const std::string& f : fields) line += (line.empty() ? "" : ",") + CsvField(f);
  Diagnostics d;
  CsvTable t = MustRead("h1,h2,h3,h4,h5\r\n" + line + "\r\n", &d);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[1].fields, fields);
}

TEST(ValidUtf8Test, ReplacesStrayBytes) {
  EXPECT_EQ(ValidUtf8("ok \xC3\xA9"), "ok \xC3\xA9");
  EXPECT_EQ(ValidUtf8("bad \xFF!"), "bad \xEF\xBF\xBD!");
  EXPECT_EQ(ValidUtf8("cut \xC3"), "cut \xEF\xBF\xBD");
}

}  // namespace csv_test
}  // namespace tminus
