// sync/server/rule_expr.cpp: a small recursive-descent parser for public_when conditions.
#include "sync/server/rule_expr.hpp"

#include <algorithm>
#include <cctype>

#include "ferry/error.hpp"
#include "sync/server/table_meta.hpp"

namespace ferry::detail {
namespace {
enum class Tok { word, quoted, text, number, symbol, end };

struct Token {
    Tok kind = Tok::end;
    std::string text;
};

class Parser {
public:
    Parser(const std::string& text, const std::vector<std::string>& columns, const std::string& row)
        : m_text(text), m_columns(columns), m_row(row) {
        advance();
    }

    std::string parse() {
        std::string sql = parse_or();
        if (m_tok.kind != Tok::end) fail("unexpected '" + m_tok.text + "'");
        return sql;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument,
                    "sync rule condition '" + m_text + "': " + what);
    }

    bool is_keyword(const char* word) const {
        if (m_tok.kind != Tok::word || m_tok.text.size() != std::char_traits<char>::length(word)) return false;
        for (std::size_t i = 0; i < m_tok.text.size(); ++i)
            if (std::toupper(static_cast<unsigned char>(m_tok.text[i])) != word[i]) return false;
        return true;
    }
    bool accept_keyword(const char* word) {
        if (!is_keyword(word)) return false;
        advance();
        return true;
    }
    bool accept_symbol(const char* symbol) {
        if (m_tok.kind != Tok::symbol || m_tok.text != symbol) return false;
        advance();
        return true;
    }

    std::string parse_or() {
        std::string sql = parse_and();
        while (accept_keyword("OR")) sql = "(" + sql + " OR " + parse_and() + ")";
        return sql;
    }
    std::string parse_and() {
        std::string sql = parse_not();
        while (accept_keyword("AND")) sql = "(" + sql + " AND " + parse_not() + ")";
        return sql;
    }
    std::string parse_not() {
        if (accept_keyword("NOT")) return "(NOT " + parse_not() + ")";
        if (accept_symbol("(")) {
            std::string sql = parse_or();
            if (!accept_symbol(")")) fail("missing ')'");
            return "(" + sql + ")";
        }
        return parse_test();
    }

    std::string parse_test() {
        const std::string column = parse_column();
        if (accept_keyword("IS")) {
            const bool negated = accept_keyword("NOT");
            if (!accept_keyword("NULL")) fail("expected NULL after IS");
            return "(" + column + (negated ? " IS NOT NULL)" : " IS NULL)");
        }
        const bool negated = accept_keyword("NOT");
        if (accept_keyword("IN")) {
            if (!accept_symbol("(")) fail("expected '(' after IN");
            std::string list = parse_literal();
            while (accept_symbol(",")) list += ", " + parse_literal();
            if (!accept_symbol(")")) fail("missing ')' after the IN list");
            return "(" + column + (negated ? " NOT IN (" : " IN (") + list + "))";
        }
        if (negated) fail("expected IN after NOT");
        static const std::vector<std::string> ops = {"=", "<>", "!=", "<", "<=", ">", ">="};
        if (m_tok.kind != Tok::symbol || std::find(ops.begin(), ops.end(), m_tok.text) == ops.end())
            fail("expected a comparison after column " + column);
        const std::string op = m_tok.text == "!=" ? "<>" : m_tok.text;
        advance();
        return "(" + column + " " + op + " " + parse_literal() + ")";
    }

    std::string parse_column() {
        if (m_tok.kind != Tok::word && m_tok.kind != Tok::quoted) fail("expected a column name");
        const std::string name = m_tok.text;
        if (std::find(m_columns.begin(), m_columns.end(), name) == m_columns.end())
            fail("unknown column '" + name + "'");
        advance();
        return m_row + "." + pg_ident(name);
    }

    std::string parse_literal() {
        Token t = m_tok;
        if (t.kind == Tok::text) {
            advance();
            return pg_literal(t.text);
        }
        if (t.kind == Tok::number) {
            advance();
            return t.text;
        }
        if (accept_keyword("TRUE")) return "true";
        if (accept_keyword("FALSE")) return "false";
        if (accept_keyword("NULL")) return "NULL";
        fail("expected a literal ('text', a number, true, false or NULL)");
    }

    void advance() {
        const std::string& s = m_text;
        while (m_pos < s.size() && std::isspace(static_cast<unsigned char>(s[m_pos]))) ++m_pos;
        m_tok = Token{};
        if (m_pos >= s.size()) return;
        const char c = s[m_pos];
        if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            std::size_t end = m_pos;
            while (end < s.size() && (std::isalnum(static_cast<unsigned char>(s[end])) || s[end] == '_')) ++end;
            m_tok = {Tok::word, s.substr(m_pos, end - m_pos)};
            m_pos = end;
        } else if (c == '"' || c == '\'') {
            m_tok = {c == '"' ? Tok::quoted : Tok::text, read_quoted(c)};
        } else if (std::isdigit(static_cast<unsigned char>(c)) || (c == '-' && m_pos + 1 < s.size() &&
                                                                   std::isdigit(static_cast<unsigned char>(s[m_pos + 1])))) {
            std::size_t end = m_pos + 1;
            while (end < s.size() && (std::isdigit(static_cast<unsigned char>(s[end])) || s[end] == '.')) ++end;
            m_tok = {Tok::number, s.substr(m_pos, end - m_pos)};
            m_pos = end;
        } else {
            static const std::vector<std::string> symbols = {"<>", "!=", "<=", ">=", "=", "<", ">", "(", ")", ","};
            for (const auto& sym : symbols)
                if (s.compare(m_pos, sym.size(), sym) == 0) {
                    m_tok = {Tok::symbol, sym};
                    m_pos += sym.size();
                    return;
                }
            fail(std::string("unexpected character '") + c + "'");
        }
    }

    /// A quoted name or text; the quote is doubled inside, as in SQL.
    std::string read_quoted(char quote) {
        std::string out;
        for (std::size_t i = m_pos + 1; i < m_text.size(); ++i) {
            if (m_text[i] != quote) {
                out += m_text[i];
                continue;
            }
            if (i + 1 < m_text.size() && m_text[i + 1] == quote) {
                out += quote;
                ++i;
                continue;
            }
            m_pos = i + 1;
            return out;
        }
        fail(std::string("unterminated ") + (quote == '"' ? "quoted name" : "text literal"));
    }

    const std::string& m_text;
    const std::vector<std::string>& m_columns;
    std::string m_row;
    std::size_t m_pos = 0;
    Token m_tok;
};
}  // namespace

std::string render_rule_condition(const std::string& text, const std::vector<std::string>& columns,
                                  const std::string& row) {
    return Parser(text, columns, row).parse();
}

}  // namespace ferry::detail
