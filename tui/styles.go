package tui

import "github.com/charmbracelet/lipgloss"

// styles are the console's looks. Every style is also readable without
// colours (lipgloss's ASCII profile, as in the tests): the selected row has
// its marker, errors their "error:" prefix.
var styles = struct {
	title, colHeader, selected, header, dim, err, ok, paneTitle lipgloss.Style
}{
	title:     lipgloss.NewStyle().Bold(true),
	colHeader: lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("244")),
	selected:  lipgloss.NewStyle().Reverse(true),
	header:    lipgloss.NewStyle().Foreground(lipgloss.Color("39")),
	dim:       lipgloss.NewStyle().Foreground(lipgloss.Color("244")),
	err:       lipgloss.NewStyle().Foreground(lipgloss.Color("203")),
	ok:        lipgloss.NewStyle().Foreground(lipgloss.Color("78")),
	paneTitle: lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("244")),
}
