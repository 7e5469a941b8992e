// Which rows of a COPY PostgreSQL rejects, found by halving: the bookkeeping alone, pure, no I/O
// (pg/staging_writer.cpp sends the statements it asks for, each in a savepoint).
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace pinpipe::pg {

// Rows [begin, end) of the rows being written, sent in one COPY.
struct RowRange {
    size_t begin = 0;
    size_t end = 0;

    size_t size() const { return end - begin; }
    bool operator==(const RowRange&) const = default;
};

// First every row in one COPY. When PostgreSQL rejects a range, the first rejected row in it is
// looked for by halving (send the first half: if it goes in, the row is in the second half,
// otherwise in the first), then the rows after it go again in one COPY. One bad row among n
// costs at most ceil(log2 n) + 3 statements: one rejected row in 20,000 about 18, not 20,000.
// After a second rejected row the rows after it go in COPYs of 1, 2, 4 … rows (a probe), and a
// failed one is halved: rejected rows tend to come together (a producer's bad day), and sending
// every row after each of them again would stream the batch once per rejected row (every row
// of 20,000 bad: 200 million rows). When every row is bad, each costs at most two statements
// and the rows sent stay within a few times the batch.
// A range taken to hold a rejected row only because its first half went in (PostgreSQL's
// rejection being a property of a row) is never counted as rejected without a statement of its
// own: a row is rejected only when PostgreSQL rejected the COPY of that row alone, so a rejection
// that depended on other rows costs statements, never a row.
class RowBisection {
  public:
    explicit RowBisection(size_t rows);

    // Every row written or rejected.
    bool done() const { return m_next == m_rows; }
    // The rows of the next COPY; only while !done().
    RowRange next() const;
    // What PostgreSQL did with next(): took every row, or rejected the COPY. rejected() returns
    // the row now known to be rejected, when next() was that row alone.
    void written();
    std::optional<size_t> rejected();

    // COPY statements reported so far (written() and rejected() calls).
    size_t statements() const { return m_statements; }
    // The rows PostgreSQL rejected, in ascending order.
    const std::vector<size_t>& rejected_rows() const { return m_rejected; }

  private:
    enum class Phase {
        rest,    // send every row from m_next on
        probe,   // after the second rejected row: send m_step rows from m_next (or what is left)
        gallop,  // a rejected row lies in [m_next, m_bad_end): send m_step rows from m_next
        halve,   // the first rejected row of [m_next, m_bad_end) is its first: send half of it
    };

    void after_rejected_row();

    size_t m_rows;
    size_t m_next = 0;     // the rows before are written or rejected
    size_t m_bad_end = 0;  // gallop, halve: [m_next, m_bad_end) holds a rejected row
    size_t m_step = 0;     // probe, gallop: rows to send next
    Phase m_phase = Phase::rest;
    size_t m_statements = 0;
    std::vector<size_t> m_rejected;
};

}  // namespace pinpipe::pg
