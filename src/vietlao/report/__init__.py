"""Stage 6, the error report: any system's predictions seen sentence by sentence and bucket by bucket,
scored by the scorer of stage 5 and rendered as one static HTML file (``vietlao report``)."""
