"""Stage 2, Label Studio: the server (loopback only), the API client, sentence tasks and pre-annotations
pushed to it, annotators' sheets entered into it, and the export pulled back."""
