"""Documents in and out: Excel workbooks (openpyxl) and printed PDFs. No queries inside —
callers pass plain values in and get plain values back."""
