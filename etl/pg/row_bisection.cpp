#include "pg/row_bisection.hpp"

#include <algorithm>
#include <stdexcept>

namespace pinpipe::pg {

RowBisection::RowBisection(size_t rows) : m_rows(rows) {}

RowRange RowBisection::next() const {
    if (done()) {
        throw std::logic_error("RowBisection::next() called when every row is decided");
    }
    switch (m_phase) {
        case Phase::rest:
            return {m_next, m_rows};
        case Phase::probe:
            return {m_next, std::min(m_next + m_step, m_rows)};
        case Phase::gallop:
            return {m_next, m_next + m_step};
        case Phase::halve: {
            const size_t known_bad = m_bad_end - m_next;
            return {m_next, m_next + (known_bad == 1 ? 1 : known_bad / 2)};
        }
    }
    throw std::logic_error("RowBisection in no phase");
}

void RowBisection::written() {
    const RowRange sent = next();
    ++m_statements;
    m_next = sent.end;
    switch (m_phase) {
        case Phase::rest:
            return;  // every row left went in
        case Phase::probe:
            m_step *= 2;
            return;
        case Phase::gallop:
            m_step *= 2;
            // Never send the whole known-bad range again: halve it instead.
            if (m_step >= m_bad_end - m_next) {
                m_phase = Phase::halve;
            }
            return;
        case Phase::halve:
            // One row alone went in although its neighbours before it went in without the range
            // it closed: the rejection depended on other rows. Start again from the next one.
            if (m_next == m_bad_end) {
                m_phase = Phase::rest;
            }
            return;
    }
}

std::optional<size_t> RowBisection::rejected() {
    const RowRange sent = next();
    ++m_statements;
    if (sent.size() == 1) {
        m_rejected.push_back(sent.begin);
        m_next = sent.end;
        after_rejected_row();
        return sent.begin;
    }
    switch (m_phase) {
        case Phase::rest:
            m_bad_end = sent.end;
            if (m_rejected.empty()) {
                m_phase = Phase::halve;  // the first search: nothing says where, halving is best
            } else {
                m_phase = Phase::gallop;  // the next rejected row is likely near the last one
                m_step = 1;
            }
            return std::nullopt;
        case Phase::probe:
        case Phase::gallop:
        case Phase::halve:
            m_bad_end = sent.end;
            m_phase = Phase::halve;
            return std::nullopt;
    }
    return std::nullopt;
}

void RowBisection::after_rejected_row() {
    // The first rejected row is often the only one: the rest goes in one COPY. From the second
    // on, more are likely near: probe.
    m_phase = m_rejected.size() == 1 ? Phase::rest : Phase::probe;
    m_bad_end = 0;
    m_step = 1;
}

}  // namespace pinpipe::pg
