module preflight.local/pause

go 1.24
