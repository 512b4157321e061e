# Fit every reference design with lme4 / lmerTest / emmeans and write results/<design>.json.
#
# Usage (from the repository root):
#   Rscript tests/reference/make_reference.R                       # all designs
#   Rscript tests/reference/make_reference.R ri_balanced rs_uncorr # some designs
#   Rscript tests/reference/make_reference.R --manifest M --out DIR [--no-tight] [--lean] [names]
#     --no-tight: skip the tight refit; --lean: the default fit without emmeans, Type I anova,
#     ranef and fitted values (the live test's setting)
#
# The manifest (default tests/reference/designs.json, written by make_designs.py) lists the
# designs; data paths in it are relative to the manifest's folder. An entry may carry
# "devfun_at": a list of theta vectors at which lme4's deviance function is evaluated (the
# live test sends the engine's theta this way). lme4's sleepstudy is written to
# data/sleepstudy.csv from the lme4 package when a design uses it.

args <- commandArgs(trailingOnly = TRUE)
script_dir <- local({
  file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  dirname(normalizePath(sub("^--file=", "", file_arg[1])))
})
source(file.path(script_dir, "lmm_functions.R"))

option <- function(flag, default) {
  i <- match(flag, args)
  if (is.na(i)) {
    return(default)
  }
  value <- args[i + 1L]
  args <<- args[-c(i, i + 1L)]
  value
}
manifest_path <- option("--manifest", file.path(script_dir, "designs.json"))
tight <- !("--no-tight" %in% args)
lean <- "--lean" %in% args
args <- setdiff(args, c("--no-tight", "--lean"))
base <- dirname(normalizePath(manifest_path))
out_dir <- option("--out", file.path(base, "results"))
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

manifest <- jsonlite::fromJSON(manifest_path, simplifyVector = FALSE)
designs <- manifest$designs
names(designs) <- vapply(designs, function(d) d$name, "")
wanted <- if (length(args)) args else names(designs)
unknown <- setdiff(wanted, names(designs))
if (length(unknown)) stop("unknown design(s): ", paste(unknown, collapse = ", "))

write_sleepstudy <- function(path) {
  dir.create(dirname(path), showWarnings = FALSE, recursive = TRUE)
  utils::write.csv(lme4::sleepstudy, path, row.names = FALSE)
  back <- utils::read.csv(path)
  stopifnot(
    identical(back$Reaction, lme4::sleepstudy$Reaction),
    identical(as.numeric(back$Days), as.numeric(lme4::sleepstudy$Days)),
    identical(as.character(back$Subject), as.character(lme4::sleepstudy$Subject))
  )
}

info <- versions()
for (name in wanted) {
  entry <- designs[[name]]
  data_path <- file.path(base, entry$data)
  if (basename(entry$data) == "sleepstudy.csv") write_sleepstudy(data_path)
  started <- proc.time()[["elapsed"]]
  result <- fit_design(entry, data_path, tight = tight,
                       devfun_at = if (is.null(entry$devfun_at)) list() else entry$devfun_at,
                       lean = lean)
  result$versions <- info
  result$description <- entry$description
  writeLines(to_json(result), file.path(out_dir, paste0(name, ".json")), useBytes = TRUE)
  cat(sprintf("%-26s %6.1f s\n", name, proc.time()[["elapsed"]] - started))
}
