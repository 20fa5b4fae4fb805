# scale.gp - the scale plots of bench/run (issue 15): mkdir and lookup cost
# against the number of leases; acquire + release against the number of
# joined hosts; acquiring n leases at once against n; sanlock beside
# leasefs where it has the same figure.
#
#   gnuplot -e "out='scale.png'; leases='leases.dat'; hosts='hosts.dat'; sl='sl.dat'; many='many.dat'; slmany='slmany.dat'" scale.gp
#
# leases.dat: "count mkdir_ms lookup_ms" (medians); hosts.dat: "hosts
# acquire_release_ms" (leasefs medians); sl.dat: the same for sanlock (3
# joined, and 2,000 host ids live); many.dat and slmany.dat: "n ms", the
# median time until the last of n acquires returned (leasefs: n lock opens
# let go together; sanlock: calls of up to 8 resources).  A file may hold
# "x NaN" alone when a figure was not measured.  Optional: leases2='file'
# and l2t='label' add a second run's name-table medians, dashed (to show
# the spread between runs on a loaded machine); l1t labels the first.  The x axes are
# logarithmic: the targets are about staying flat across orders of
# magnitude.

set terminal pngcairo noenhanced size 1500,480 font ",10"
set output out
set multiplot layout 1,3
set logscale x
set grid xtics ytics mxtics
set key top left
set style data linespoints
set title "name table: cost by number of leases (medians)"
set xlabel "leases in the lockspace (log scale)"
set ylabel "ms"
set yrange [0:*]
if (!exists("l1t")) l1t = ""
set key center right  # between the mkdir and lookup lines
extra = exists("leases2") ? sprintf(", '%s' using 1:2 title 'leasefs mkdir %s' dt 2 lw 1 pt 6 lc 1, '%s' using 1:3 title 'leasefs lookup (stat) %s' dt 2 lw 1 pt 4 lc 2", leases2, l2t, leases2, l2t) : ""
plot leases using 1:2 title "leasefs mkdir ".l1t lw 2 pt 7 lc 1, \
     leases using 1:3 title "leasefs lookup (stat) ".l1t lw 2 pt 5 lc 2 @extra
set key top left
set title "acquire + release of one free lease by joined hosts (medians)"
set xlabel "hosts joined (log scale)"
set ylabel "ms (log scale)"
set logscale y
set yrange [*:*]
plot hosts using 1:2 title "leasefs (lock open/close)" lw 2 pt 7, \
     sl using 1:2 title "sanlock (acquire + release)" lw 2 pt 9 ps 1.5
set title "n free leases acquired at once on one host (medians)"
set xlabel "n (log scale)"
set ylabel "ms until the last acquire returned (log scale)"
plot many using 1:2 title "leasefs (n lock opens at once)" lw 2 pt 7, \
     slmany using 1:2 title "sanlock (calls of <= 8 resources)" lw 2 pt 9 ps 1.5
unset multiplot
