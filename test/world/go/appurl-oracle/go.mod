// Coder v2.30.0's hostname-pattern check (coderd/workspaceapps/appurl); go 1.25.6 is Coder's own go line.
module local.test/appurl-oracle

go 1.25.6

require github.com/coder/coder/v2 v2.30.0

require golang.org/x/xerrors v0.0.0-20240903120638-7835f813f4da // indirect
