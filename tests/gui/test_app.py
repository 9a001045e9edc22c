"""The window's settings: the command line first, then saved settings, then defaults."""

from engine import display_threads


def test_the_window_config_and_the_command_line_carry_threads(tmp_path):
    from PySide6.QtCore import QSettings

    import main
    from gui.app import make_config

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    args = main.build_parser().parse_args([])
    config, _ = make_config(args, settings)
    assert config.threads == display_threads()
    args = main.build_parser().parse_args(["--threads", "3"])
    assert make_config(args, settings)[0].threads == 3
    args = main.build_parser().parse_args(["bench", "--gui", "--threads", "2"])
    assert args.threads == 2
