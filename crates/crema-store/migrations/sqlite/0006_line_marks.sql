-- A line of an order marked made in the kitchen ("2× Caffè latte, oat" done), so every
-- kitchen and station screen strikes it through. One row per marked line; unmarking deletes
-- the row. `line_index` is the line's position in orders.lines (0-based, as the API's
-- `lines[i]`); the snapshot never changes, so an index keeps naming the same line.
CREATE TABLE order_line_marks (
    order_id   INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    line_index INTEGER NOT NULL CHECK (line_index >= 0),
    done_at    TEXT    NOT NULL,
    actor_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    PRIMARY KEY (order_id, line_index)
) WITHOUT ROWID;
