#include "engine/loader/yaml_tree.h"

#include <gtest/gtest.h>

namespace tminus {
namespace {

struct Parsed {
  std::string text;  // the tree refers to it
  YamlTree tree;
  Diagnostics diagnostics;
  bool ok = false;
};

std::unique_ptr<Parsed> Parse(const std::string& text, YamlLimits limits = {}) {
  auto p = std::make_unique<Parsed>();
  p->text = text;
  p->ok = p->tree.Parse(p->text, limits, &p->diagnostics);
  return p;
}

std::string FirstMessage(const Parsed& p) {
  return p.diagnostics.all().empty() ? "" : p.diagnostics.all()[0].message;
}

TEST(YamlTreeTest, KeepsLineAndColumnOfEveryNode) {
  auto p = Parse("a: 1\nlist:\n  - x\n  - {k: v}\n");
  ASSERT_TRUE(p->ok) << FirstMessage(*p);
  const YamlTree& t = p->tree;
  const auto root = t.root();
  ASSERT_EQ(t.kind(root), YamlTree::Kind::kMap);
  ASSERT_EQ(t.size(root), 2u);
  EXPECT_EQ(t.scalar(t.key(root, 0)), "a");
  EXPECT_EQ(t.loc(t.value(root, 0)).line, 1);
  EXPECT_EQ(t.loc(t.value(root, 0)).column, 4);
  const auto list = t.value(root, 1);
  ASSERT_EQ(t.kind(list), YamlTree::Kind::kSequence);
  EXPECT_EQ(t.loc(t.item(list, 0)).line, 3);
  EXPECT_EQ(t.loc(t.item(list, 0)).column, 5);
  const auto inner = t.item(list, 1);
  EXPECT_EQ(t.kind(inner), YamlTree::Kind::kMap);
  EXPECT_EQ(t.loc(t.value(inner, 0)).line, 4);
  EXPECT_EQ(t.loc(t.value(inner, 0)).column, 9);
}

TEST(YamlTreeTest, QuotedScalarsAreNotPlain) {
  auto p = Parse("a: yes\nb: 'yes'\nc: \"yes\"\nd: |\n  yes\n");
  ASSERT_TRUE(p->ok);
  const YamlTree& t = p->tree;
  EXPECT_TRUE(t.node(t.value(t.root(), 0)).plain);
  EXPECT_FALSE(t.node(t.value(t.root(), 1)).plain);
  EXPECT_FALSE(t.node(t.value(t.root(), 2)).plain);
  EXPECT_FALSE(t.node(t.value(t.root(), 3)).plain);
}

TEST(YamlTreeTest, NullSpellingsAreNull) {
  auto p = Parse("a:\nb: ~\nc: null\nd: 'null'\n");
  ASSERT_TRUE(p->ok);
  const YamlTree& t = p->tree;
  EXPECT_EQ(t.kind(t.value(t.root(), 0)), YamlTree::Kind::kNull);
  EXPECT_EQ(t.kind(t.value(t.root(), 1)), YamlTree::Kind::kNull);
  EXPECT_EQ(t.kind(t.value(t.root(), 2)), YamlTree::Kind::kNull);
  EXPECT_EQ(t.kind(t.value(t.root(), 3)), YamlTree::Kind::kScalar);
}

TEST(YamlTreeTest, DuplicateKeyIsAnErrorAtTheSecondAndTheFirstIsKept) {
  auto p = Parse("a: 1\nb: 2\na: 3\n");
  ASSERT_TRUE(p->ok);
  ASSERT_EQ(p->diagnostics.error_count(), 1);
  const Diagnostic& d = p->diagnostics.all()[0];
  EXPECT_EQ(d.loc.line, 3);
  EXPECT_EQ(d.loc.column, 1);
  EXPECT_NE(d.message.find("duplicate key 'a'"), std::string::npos);
  EXPECT_NE(d.message.find("line 1"), std::string::npos);
  const YamlTree& t = p->tree;
  ASSERT_EQ(t.size(t.root()), 2u);
  EXPECT_EQ(t.scalar(t.value(t.root(), 0)), "1");
}

TEST(YamlTreeTest, MergeKeysFoldInWithExplicitKeysWinning) {
  auto p = Parse("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n");
  ASSERT_TRUE(p->ok) << FirstMessage(*p);
  const YamlTree& t = p->tree;
  const auto use = t.value(t.root(), 1);
  ASSERT_EQ(t.size(use), 2u);
  EXPECT_EQ(t.scalar(t.key(use, 0)), "y");
  EXPECT_EQ(t.scalar(t.value(use, 0)), "3");
  EXPECT_EQ(t.scalar(t.key(use, 1)), "x");
  EXPECT_EQ(t.scalar(t.value(use, 1)), "1");
}

TEST(YamlTreeTest, SyntaxErrorIsReportedAtItsPosition) {
  auto p = Parse("a: [1, 2\nb: 3\n");
  EXPECT_FALSE(p->ok);
  ASSERT_EQ(p->diagnostics.error_count(), 1);
  EXPECT_GT(p->diagnostics.all()[0].loc.line, 0);
  EXPECT_NE(FirstMessage(*p).find("YAML syntax"), std::string::npos);
}

TEST(YamlTreeTest, DeepNestingIsRefusedNotCrashed) {
  auto p = Parse(std::string(100000, '[') + std::string(100000, ']'));
  EXPECT_FALSE(p->ok);
  EXPECT_NE(FirstMessage(*p).find("nesting"), std::string::npos) << FirstMessage(*p);
  std::string dashes;
  for (int i = 0; i < 5000; ++i) dashes += "- ";
  auto r = Parse(dashes + "x\n");
  EXPECT_FALSE(r->ok);
}

TEST(YamlTreeTest, AliasBombIsRefused) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  std::string prev = "a";
  for (int level = 0; level < 9; ++level) {
    const std::string name = "l" + std::to_string(level);
    bomb += name + ": &" + name + " [";
    for (int i = 0; i < 10; ++i) bomb += (i ? ", *" : "*") + prev;
    bomb += "]\n";
    prev = name;
  }
  auto p = Parse(bomb);
  EXPECT_FALSE(p->ok);
  EXPECT_NE(FirstMessage(*p).find("alias"), std::string::npos) << FirstMessage(*p);
}

TEST(YamlTreeTest, SizeLimitsAreEnforced) {
  YamlLimits limits;
  limits.max_document_bytes = 100;
  auto big = Parse(std::string(200, '#'), limits);
  EXPECT_FALSE(big->ok);
  limits = {};
  limits.max_scalar_bytes = 10;
  auto scalar = Parse("a: " + std::string(50, 'x') + "\n", limits);
  EXPECT_FALSE(scalar->ok);
  EXPECT_NE(FirstMessage(*scalar).find("scalar"), std::string::npos);
}

TEST(YamlTreeTest, SecondDocumentIsAnError) {
  auto p = Parse("a: 1\n---\nb: 2\n");
  EXPECT_FALSE(p->ok);
  EXPECT_EQ(p->diagnostics.all()[0].loc.line, 2);
}

TEST(YamlTreeTest, EmptyDocumentIsNull) {
  auto p = Parse("# only a comment\n");
  ASSERT_TRUE(p->ok);
  EXPECT_EQ(p->tree.kind(p->tree.root()), YamlTree::Kind::kNull);
}

TEST(YamlTreeTest, RecursiveAliasIsRefused) {
  auto p = Parse("a: &x [1, *x]\n");
  EXPECT_FALSE(p->ok);
}

}  // namespace
}  // namespace tminus
